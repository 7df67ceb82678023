//! Emulator of the OpenAI fine-tuning API subset that tuner uses (development only).
