//! The WebSocket: authentication, frames, pushes, catch-up, and fan-out
//! across instances through Redis.
