//! TV-7 and the weights file.
