//! The terminal dashboard.

pub mod model;
