//! Who is asking: passwords, sessions, API tokens, CSRF and login throttling.

pub mod api_token;
pub mod csrf;
pub mod login;
pub mod password;
pub mod password_rules;
pub mod sealing;
pub mod session;
pub mod throttle;
