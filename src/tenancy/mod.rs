//! The tenants of a deployment as its operator runs them: creating, suspending and resuming
//! them, and their storage quota. The operator's pages and the command line both come here, so
//! every change is checked and recorded the same way.

pub mod manage;
pub mod quota;
