//! The domain: helpdesk's things in the product's words, at the bottom of every layer.
//!
//! A customer's path and its events, how a walk through the guide ends, a ticket's status, a
//! manager's role and address, a point in time, synthetic visits for seeding, text as people type
//! it into forms. Everything above (the store, the guide, the journey, tickets, the console) may
//! use these; they use nothing of helpdesk's outside this folder, so the store can speak of paths
//! and tickets without depending on the features that call it (`tests/layers.rs` checks both
//! rules).

pub mod mail;
pub mod manager;
pub mod outcome;
pub mod path;
pub mod synthetic;
pub mod targets;
pub mod text;
pub mod ticket;
pub mod time;
