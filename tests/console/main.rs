//! The account manager console: signing in and out, throttling, sessions, CSRF, authorization,
//! the queue, a ticket's path, notes, status, assignment, audit, conflicts, and domain routing.
//! One test binary, a module an area.

#[path = "../common/mod.rs"]
mod common;
#[path = "../real_smtp/mod.rs"]
mod real_smtp;

mod access;
mod accounts;
mod mail;
mod privacy;
mod queue;
mod routing;
mod sessions;
mod sign_in;
mod ticket;
