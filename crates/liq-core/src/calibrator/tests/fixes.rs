//! Our fixes (the default preset).
