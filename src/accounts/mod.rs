//! Accounts of a tenant, as its admins manage them and as people reach them by mail: invitations,
//! password resets, roles, disabling, and handing a departing colleague's links to another.

pub mod account_link;
pub mod invite;
pub mod manage;
pub mod password_reset;
