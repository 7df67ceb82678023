//! Integration tests: real HTTP (reqwest) against an in-process `tuner_emulator::Emulator`.

mod admin;
mod auth;
mod faults;
mod files;
mod helpers;
mod jobs;
mod lifecycle;
mod validation;
