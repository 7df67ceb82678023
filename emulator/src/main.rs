//! `tuner-emulator`: serves the emulated provider API.

fn main() {}
