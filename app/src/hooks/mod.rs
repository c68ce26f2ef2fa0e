//! Reusable reactive logic, one hook per file, in the style of leptos-use.

mod use_live_frames;

pub use use_live_frames::*;
