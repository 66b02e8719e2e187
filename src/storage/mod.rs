//! Blob storage over object_store: a local directory (default) or an S3-compatible store.
//! Keys are generated here and never derived from anything a user sent.

pub mod blob;
pub mod zip_stream;

pub use blob::{BlobStore, BlobWriter, PendingBlobs};
