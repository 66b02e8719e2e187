//! Virus scanning with clamd: nothing is offered for download before a scan says `Clean`.

pub mod clamd;
pub mod verdict;
pub mod zip_limits;

pub use clamd::{ClamdAddress, ScanError, ScanJob, Scanner, ScannerConfig};
pub use verdict::{parse_reply, ScanVerdict};
