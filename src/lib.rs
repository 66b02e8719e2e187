//! Bote: secure file exchange for public administrations.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod commands;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod jobs;
pub mod mail;
pub mod scan;
pub mod sharing;
pub mod startup;
pub mod storage;
pub mod tenancy;
pub mod web;
