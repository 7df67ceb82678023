//! Integration tests: real HTTP (reqwest) against an in-process `tuner_emulator::Emulator`.

mod admin;
mod auth;
mod chat;
mod dialects;
mod faults;
mod files;
mod fireworks;
mod helpers;
mod jobs;
mod lifecycle;
mod nebius;
mod together;
mod validation;
