//! The rules of sharing files through links: who may see a link, how files come in (stored,
//! hashed and scanned in one pass), how unlocks and download limits work.

pub mod access;
pub mod grants;
pub mod ingest;
pub mod links;
pub mod notify;
pub mod policy;
pub mod policy_update;
pub mod quota;
pub mod scanning;
pub mod unlock;
pub mod uploads;
