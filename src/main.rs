//! The `bote` command line: parses arguments and hands over to `bote::commands`.

use std::path::PathBuf;
use std::process::ExitCode;

use bote::commands::{self, accounts, serve, tenants, Failure};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bote",
    version,
    about = "Secure file exchange for public administrations"
)]
struct Cli {
    /// Settings file (TOML); BOTE_* environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server and background jobs.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage tenants (municipalities).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the hash chains; exits 0 when intact, 1 naming the first record that does not fit.
    Verify {
        /// Only this tenant's chain.
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Subcommand)]
// Parsed once at start; the size of the policy variant does not matter.
#[allow(clippy::large_enum_variant)]
enum TenantCommand {
    /// Create a tenant.
    Add {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// Language of mails and pages when nothing else decides: de or en.
        #[arg(long, default_value = "de")]
        language: String,
    },
    /// List tenants with their accounts, links, stored bytes and quota.
    List,
    /// Suspend a tenant: its logins, sessions, API tokens and public links stop working at once.
    Suspend {
        #[arg(long)]
        slug: String,
    },
    /// Resume a suspended tenant.
    Resume {
        #[arg(long)]
        slug: String,
    },
    /// Set a tenant's storage quota; uploads that would exceed it are refused.
    Quota {
        #[arg(long)]
        slug: String,
        /// The quota: bytes, or a size like 500M or 2G (binary units).
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        bytes: Option<String>,
        /// No quota: unlimited storage.
        #[arg(long)]
        none: bool,
    },
    /// Change a tenant's policies (unchanged when not given).
    Policy {
        #[arg(long)]
        slug: String,
        /// Lifetime of a new link when staff do not choose one.
        #[arg(long)]
        link_default_days: Option<i64>,
        /// Longest lifetime staff may give a link.
        #[arg(long)]
        link_max_days: Option<i64>,
        /// Days files are kept after their link ended (0: removed at expiry).
        #[arg(long)]
        retention_days: Option<i64>,
        /// Files that cannot be scanned completely: hold (an admin decides) or refuse.
        #[arg(long)]
        unscannable: Option<String>,
        /// Uploads while clamd does not answer: accept (held until scanned) or refuse.
        #[arg(long)]
        scanner_down: Option<String>,
        /// Days audit records are kept (0: for ever); older ones go through a checkpoint.
        #[arg(long)]
        audit_retention_days: Option<i64>,
        /// How client addresses are stored in records: full, shortened or none.
        #[arg(long)]
        client_addresses: Option<String>,
        /// Every new link needs a password: true or false.
        #[arg(long)]
        link_password_required: Option<bool>,
        /// Shortest link password (8-64).
        #[arg(long)]
        link_password_min_len: Option<i64>,
        /// Largest single file, e.g. 500M (none: only the deployment's limit).
        #[arg(long)]
        max_file_size: Option<String>,
        /// Largest total of one link's files, e.g. 2G (none: no limit).
        #[arg(long)]
        max_link_size: Option<String>,
        /// Only these kinds of file, comma-separated: pdf, image, office, text, archive, video,
        /// audio (none: any).
        #[arg(long)]
        allowed_types: Option<String>,
        /// These kinds of file are refused (none: no block list).
        #[arg(long)]
        blocked_types: Option<String>,
        /// Staff may create upload links: true or false (admins always may).
        #[arg(long)]
        staff_upload_links: Option<bool>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        /// admin, staff, auditor or operator.
        #[arg(long)]
        role: String,
        /// Slug of the tenant (default: the default tenant). Operators have none.
        #[arg(long)]
        tenant: Option<String>,
        /// Display name (default: the part of the address before @).
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Invite someone to a tenant: the account gets no password; a one-time link to set one is
    /// mailed (valid 7 days).
    Invite {
        #[arg(long)]
        email: String,
        /// admin, staff or auditor.
        #[arg(long)]
        role: String,
        /// Slug of the tenant.
        #[arg(long)]
        tenant: String,
        /// Display name (default: the part of the address before @).
        #[arg(long)]
        name: Option<String>,
        /// Language of the mails: de or en (default: the tenant's).
        #[arg(long)]
        language: Option<String>,
    },
    /// Disable an account: its sessions end and its tokens stop working at once.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled account again.
    Enable {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token; the token alone is printed on the last line of standard output.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let config = cli.config.as_deref();
    let result: Result<(), Failure> = runtime.block_on(async {
        match &cli.command {
            Command::Serve => serve::run(config).await,
            Command::Migrate => commands::migrate(config).await,
            Command::Tenant(TenantCommand::Add {
                slug,
                name,
                language,
            }) => tenants::add(config, slug, name, language).await,
            Command::Tenant(TenantCommand::List) => tenants::list(config).await,
            Command::Tenant(TenantCommand::Suspend { slug }) => {
                tenants::set_suspended(config, slug, true).await
            }
            Command::Tenant(TenantCommand::Resume { slug }) => {
                tenants::set_suspended(config, slug, false).await
            }
            Command::Tenant(TenantCommand::Quota { slug, bytes, none }) => {
                tenants::set_quota(config, slug, bytes.as_deref(), *none).await
            }
            Command::Tenant(TenantCommand::Policy {
                slug,
                link_default_days,
                link_max_days,
                retention_days,
                unscannable,
                scanner_down,
                audit_retention_days,
                client_addresses,
                link_password_required,
                link_password_min_len,
                max_file_size,
                max_link_size,
                allowed_types,
                blocked_types,
                staff_upload_links,
            }) => {
                tenants::set_policy(
                    config,
                    slug,
                    tenants::PolicyArgs {
                        link_default_days: *link_default_days,
                        link_max_days: *link_max_days,
                        retention_days: *retention_days,
                        unscannable: unscannable.as_deref(),
                        scanner_down: scanner_down.as_deref(),
                        audit_retention_days: *audit_retention_days,
                        client_addresses: client_addresses.as_deref(),
                        link_password_required: *link_password_required,
                        link_password_min_len: *link_password_min_len,
                        max_file_size: max_file_size.as_deref(),
                        max_link_size: max_link_size.as_deref(),
                        allowed_types: allowed_types.as_deref(),
                        blocked_types: blocked_types.as_deref(),
                        staff_upload_links: *staff_upload_links,
                    },
                )
                .await
            }
            Command::User(UserCommand::Add {
                email,
                role,
                tenant,
                name,
                password_stdin,
            }) => {
                accounts::add_user(
                    config,
                    accounts::AddUser {
                        email,
                        role,
                        tenant: tenant.as_deref(),
                        name: name.as_deref(),
                        password_stdin: *password_stdin,
                    },
                )
                .await
            }
            Command::User(UserCommand::Invite {
                email,
                role,
                tenant,
                name,
                language,
            }) => {
                accounts::invite_user(
                    config,
                    accounts::InviteUser {
                        email,
                        role,
                        tenant,
                        name: name.as_deref(),
                        language: language.as_deref(),
                    },
                )
                .await
            }
            Command::User(UserCommand::Disable { email }) => {
                accounts::set_disabled(config, email, true).await
            }
            Command::User(UserCommand::Enable { email }) => {
                accounts::set_disabled(config, email, false).await
            }
            Command::Audit(AuditCommand::Verify { tenant }) => {
                commands::audit::verify(config, tenant.as_deref()).await
            }
            Command::Token(TokenCommand::Create { email, name }) => {
                accounts::create_token(config, email, name.as_deref()).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("{}", f.message);
            ExitCode::from(f.status)
        }
    }
}
