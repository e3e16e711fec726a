//! Protocol v2 on hand-made cases: the example of spec/prediction_eval_v2.md section 5.1.
