//! Plain types that can only hold valid values: parse at the edge, no I/O here.

pub mod byte_range;
pub mod duration;
pub mod email;
pub mod file_name;
pub mod file_type;
pub mod link;
pub mod role;
pub mod secret;
pub mod slug;
pub mod time;
