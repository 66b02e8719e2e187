//! Integration tests: the real application on a real port against a real database.

mod accounts;
mod api_tokens;
mod audit;
mod audit_catalogue;
mod audit_search;
mod cli;
mod data_protection;
mod download_links;
mod errors;
mod health;
mod helpers;
mod i18n;
mod isolation;
mod login;
mod mail;
mod mailbox;
mod operator;
mod policies;
mod scanning;
mod security;
mod sessions;
mod staff_links;
mod upload_links;
