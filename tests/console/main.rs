//! The account manager console: signing in and out, throttling, sessions, CSRF, authorization,
//! the queue, a ticket's path, notes, status, assignment, audit, conflicts, and domain routing.
//! One test binary, a module an area.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod accounts;
mod queue;
mod routing;
mod sessions;
mod sign_in;
mod ticket;
