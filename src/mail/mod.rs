//! Mail: rendered messages go into the outbox with the event that causes them; a background job
//! delivers them through SMTP (or, by default, as .eml files in the data folder), with retries.

pub mod messages;
pub mod outbox;
pub mod transport;

pub use outbox::{enqueue, NewMail};
pub use transport::Mailer;
