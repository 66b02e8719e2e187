//! A partner's submission to an upload link: the limits it must meet while its bytes arrive, and
//! taking it in with one transaction (budget, files, audit trail, single-use close) and, once
//! every file has a verdict, one notice to the owner.

use actix_web::http::StatusCode;

use super::links::{insert_file, remove_blobs, Attach, Incoming};
use super::policy::LinkPolicy;
use crate::audit::{chain, Actor, AuditEvent, Outcome};
use crate::config::Settings;
use crate::db::links::{self, Link};
use crate::db::new_id;
use crate::db::submissions::{self, Submission};
use crate::domain::email::EmailAddress;
use crate::domain::file_type;
use crate::domain::secret::{random_token, secret_hash};
use crate::domain::time::now_ms;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::client::ClientInfo;

pub const MAX_SENDER_NAME: usize = 200;

/// Who sent the files, as far as they said.
#[derive(Debug, Clone, Default)]
pub struct Sender {
    pub name: Option<String>,
    pub email: Option<EmailAddress>,
}

impl Sender {
    /// Checks the name and address fields of the upload form. Both are required when the link
    /// says so; an address, when given, must be valid either way.
    pub fn parse(name: &str, email: &str, required: bool) -> Result<Sender, Refusal> {
        let name = super::links::clean_text(name, MAX_SENDER_NAME, false, "error.sender_name")
            .map_err(|_| Refusal::bad("error.sender_name", "invalid sender name"))?;
        let email = match email.trim() {
            "" => None,
            e => Some(
                EmailAddress::parse(e)
                    .map_err(|_| Refusal::bad("error.sender_email", "invalid sender address"))?,
            ),
        };
        if required && (name.is_empty() || email.is_none()) {
            return Err(Refusal::bad(
                "error.sender_required",
                "sender identity missing",
            ));
        }
        Ok(Sender {
            name: (!name.is_empty()).then_some(name),
            email,
        })
    }
}

/// Why a submission was refused: the status and message the partner gets, the file it concerns,
/// and the reason recorded in the audit trail.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: StatusCode,
    pub key: &'static str,
    pub file: Option<String>,
    pub reason: &'static str,
    pub limit: Option<u64>,
}

impl Refusal {
    pub fn bad(key: &'static str, reason: &'static str) -> Refusal {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            key,
            file: None,
            reason,
            limit: None,
        }
    }

    pub fn too_large(key: &'static str, reason: &'static str, limit: u64) -> Refusal {
        Refusal {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            key,
            file: None,
            reason,
            limit: Some(limit),
        }
    }

    /// The file would take the tenant over its storage quota. Partners are told neither the
    /// quota nor what is left: that is the municipality's business.
    pub fn over_quota() -> Refusal {
        Refusal {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            key: "error.upload_quota",
            file: None,
            reason: "storage quota",
            limit: None,
        }
    }

    pub fn for_file(mut self, name: &str) -> Refusal {
        self.file = Some(name.to_string());
        self
    }

    /// A rule of the tenant or the app (scan policy, CSRF) expressed as a refusal.
    pub fn from_app_error(e: &AppError) -> Option<Refusal> {
        let (status, key, reason) = match e {
            AppError::Unprocessable(k) => (StatusCode::UNPROCESSABLE_ENTITY, *k, "scan policy"),
            AppError::Unavailable(k) => (StatusCode::SERVICE_UNAVAILABLE, *k, "scanner down"),
            AppError::CsrfRejected => (StatusCode::FORBIDDEN, "error.csrf", "csrf check failed"),
            AppError::BadRequest(k) => (StatusCode::BAD_REQUEST, *k, "malformed form"),
            AppError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "error.too_large",
                "form field too large",
            ),
            _ => return None,
        };
        Some(Refusal {
            status,
            key,
            file: None,
            reason,
            limit: None,
        })
    }
}

/// What is left of a link's limits for one submission, checked while the bytes arrive.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Largest single file (the link's limit, never above the deployment's).
    pub per_file: u64,
    /// Bytes the link may still take in total (`None`: no total limit).
    pub total_left: Option<u64>,
    /// Files the link may still take (`None`: no limit).
    pub files_left: Option<u64>,
    /// The link's limits as set. Partners are only ever told these, never what is left: what
    /// is left would tell one sender how much others sent.
    pub max_total: Option<u64>,
    pub max_files: Option<u64>,
}

impl Budget {
    /// `cap` is the largest file the tenant and the deployment accept
    /// (`LinkPolicy::file_limit`).
    pub fn of(link: &Link, cap: u64) -> Budget {
        let per_file = link
            .max_file_bytes
            .map(|m| (m.max(0) as u64).min(cap))
            .unwrap_or(cap);
        Budget {
            per_file,
            total_left: link
                .max_bytes
                .map(|m| (m - link.received_bytes).max(0) as u64),
            files_left: link
                .max_files
                .map(|m| (m - link.received_files).max(0) as u64),
            max_total: link.max_bytes.map(|m| m.max(0) as u64),
            max_files: link.max_files.map(|m| m.max(0) as u64),
        }
    }

    /// The most the next file may have, after `used` bytes of this submission.
    pub fn next_file_limit(&self, used: u64) -> u64 {
        match self.total_left {
            Some(left) => self.per_file.min(left.saturating_sub(used)),
            None => self.per_file,
        }
    }

    /// The refusal for a file cut off at `limit` bytes: over the per-file or the total limit.
    pub fn refusal_at(&self, limit: u64) -> Refusal {
        if limit < self.per_file {
            Refusal::too_large(
                "error.upload_total_too_large",
                "total size limit",
                self.max_total.unwrap_or(limit),
            )
        } else {
            Refusal::too_large("error.upload_file_too_large", "file size limit", limit)
        }
    }

    /// Whether one more file may come after `count` files of this submission.
    pub fn may_add_file(&self, count: u64) -> bool {
        self.files_left.is_none_or(|left| count < left)
    }
}

/// The refusal for a file the link's allowed types, or the tenant's rules, do not let in (by
/// content and name).
pub fn check_type(link: &Link, policy: &LinkPolicy, file: &Incoming) -> Result<(), Refusal> {
    let kinds = file_type::from_stored(link.allowed_types.as_deref());
    if file_type::allowed(&kinds, &file.data.content_type, file.name.as_str())
        && policy.accepts_type(&file.data.content_type, file.name.as_str())
    {
        Ok(())
    } else {
        Err(Refusal {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            key: "error.upload_type",
            file: Some(file.name.to_string()),
            reason: "file type not allowed",
            limit: None,
        })
    }
}

/// One received file as the receipt shows it.
#[derive(Debug, Clone)]
pub struct ReceiptFile {
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub scan_state: String,
    pub scan_detail: Option<String>,
}

/// A submission that was taken in, with the secret for its receipt cookie.
pub struct Received {
    pub submission_id: String,
    pub receipt_secret: String,
    pub received_at: i64,
    pub files: Vec<ReceiptFile>,
}

/// Why `receive` did not take a submission.
pub enum ReceiveError {
    Refused(Refusal),
    Failed(AppError),
}

impl From<AppError> for ReceiveError {
    fn from(e: AppError) -> Self {
        match Refusal::from_app_error(&e) {
            Some(r) => ReceiveError::Refused(r),
            None => ReceiveError::Failed(e),
        }
    }
}

impl From<sqlx::Error> for ReceiveError {
    fn from(e: sqlx::Error) -> Self {
        ReceiveError::Failed(e.into())
    }
}

impl From<anyhow::Error> for ReceiveError {
    fn from(e: anyhow::Error) -> Self {
        ReceiveError::Failed(e.into())
    }
}

/// Takes in a submission whose files are in storage. On any error nothing is in the database
/// and the caller removes the blobs.
pub async fn receive(
    state: &AppState,
    link: &Link,
    sender: Sender,
    incoming: &[Incoming],
    client: &ClientInfo,
) -> Result<Received, ReceiveError> {
    let policy = super::policy::for_tenant(&state.db, &link.tenant_id).await?;
    for file in incoming {
        check_type(link, &policy, file).map_err(ReceiveError::Refused)?;
    }
    super::links::check_scan_policy(&policy, incoming)?;
    let now = now_ms();
    let total: u64 = incoming.iter().map(|f| f.data.size).sum();
    let secret = random_token();
    let submission = Submission {
        id: new_id(),
        tenant_id: link.tenant_id.clone(),
        link_id: link.id.clone(),
        sender_name: sender.name.clone(),
        sender_email: sender.email.as_ref().map(|e| e.to_string()),
        client_addr: client.addr.clone(),
        user_agent: client.user_agent.clone(),
        receipt_hash: secret_hash(&secret),
        file_count: incoming.len() as i64,
        total_bytes: total as i64,
        notify: link.notify_uploads,
        notified_at: None,
        created_at: now,
    };
    let mut tx = state.db.pool.begin().await?;
    // The budget is taken first (and atomically): two submissions racing for the last bytes
    // cannot both get in. Writing first also takes SQLite's write lock before any read (a
    // transaction that reads first cannot wait for the lock and fails at once under load).
    if !links::claim_submission(&mut tx, &link.id, incoming.len() as i64, total as i64, now).await?
    {
        return Err(ReceiveError::Refused(Refusal::too_large(
            "error.upload_budget",
            "limit reached or link ended meanwhile",
            total,
        )));
    }
    let mut submission = submission;
    submission.client_addr = crate::audit::privacy::mode_of(&mut tx, Some(&link.tenant_id))
        .await?
        .apply(&client.addr)
        .unwrap_or_default();
    submissions::insert(&mut tx, &submission).await?;
    let attach = Attach {
        actor: Actor::External,
        uploaded_by: None,
        submission: Some(&submission),
        tenant_id: &link.tenant_id,
        link_id: &link.id,
        client: Some(client),
        settings: &state.settings,
    };
    let mut infected = Vec::new();
    for file in incoming {
        if let Some(key) = insert_file(&mut tx, &attach, file, &new_id()).await? {
            infected.push(key);
        }
    }
    let mut e = AuditEvent::new("submission.received", Outcome::Success, Actor::External)
        .tenant(Some(&link.tenant_id))
        .client(client)
        .detail("submission", submission.id.clone())
        .detail("files", incoming.len())
        .detail("bytes", total)
        .detail("sender_name", submission.sender_name.clone())
        .detail("sender_email", submission.sender_email.clone());
    e.link_id = Some(link.id.clone());
    chain::append(&mut tx, &e).await?;
    if link.single_use == 1 {
        let mut e = AuditEvent::new("link.closed", Outcome::Success, Actor::System)
            .tenant(Some(&link.tenant_id))
            .reason("single-use link received its submission");
        e.link_id = Some(link.id.clone());
        chain::append(&mut tx, &e).await?;
    }
    notice_when_settled(&mut tx, &state.settings, &submission.id).await?;
    tx.commit().await?;
    remove_blobs(&state.store, infected).await;
    let files = incoming
        .iter()
        .map(|f| {
            let (state, detail, _) = super::scanning::outcome(f.data.verdict.as_ref(), 0);
            ReceiptFile {
                name: f.name.to_string(),
                size: f.data.size as i64,
                sha256: f.data.sha256.clone(),
                scan_state: state.to_string(),
                scan_detail: detail,
            }
        })
        .collect();
    Ok(Received {
        submission_id: submission.id,
        receipt_secret: secret,
        received_at: now,
        files,
    })
}

/// Once no file of the submission waits for a verdict, its owner gets the one notice listing
/// every file and its verdict (when the link asks for notices). Called in the transaction of
/// every change that can settle a submission: its arrival, a scan verdict, a deleted file.
pub async fn notice_when_settled(
    tx: &mut sqlx::AnyConnection,
    settings: &Settings,
    submission_id: &str,
) -> sqlx::Result<()> {
    if submissions::claim_notice(tx, submission_id, now_ms()).await? {
        super::notify::files_received(tx, settings, submission_id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(max_file: Option<i64>, max_bytes: Option<i64>, received: i64) -> Link {
        Link {
            id: String::new(),
            tenant_id: String::new(),
            owner_id: String::new(),
            kind: "upload".into(),
            title: String::new(),
            message: String::new(),
            expires_at: i64::MAX,
            token_sealed: String::new(),
            password_hash: None,
            password_version: 0,
            max_downloads: None,
            download_count: 0,
            revoked_at: None,
            purged_at: None,
            created_at: 0,
            updated_at: 0,
            max_files: Some(3),
            max_bytes,
            max_file_bytes: max_file,
            allowed_types: None,
            require_identity: 0,
            notify_uploads: 0,
            single_use: 0,
            closed_at: None,
            received_files: 1,
            received_bytes: received,
            notify_downloads: 0,
            download_notice_due_at: None,
            remind_expiry: 0,
            expiry_reminded_at: None,
        }
    }

    fn settings() -> Settings {
        Settings::from_sources(None, &[]).unwrap()
    }

    #[test]
    fn the_tighter_of_file_and_total_limit_applies_and_names_itself() {
        let b = Budget::of(&link(Some(100), Some(1000), 850), settings().max_file_bytes);
        assert_eq!(b.per_file, 100);
        assert_eq!(b.total_left, Some(150));
        assert_eq!(b.next_file_limit(0), 100);
        assert_eq!(b.next_file_limit(100), 50);
        assert_eq!(b.refusal_at(50).key, "error.upload_total_too_large");
        assert_eq!(
            b.refusal_at(50).limit,
            Some(1000),
            "the limit as set, not what is left"
        );
        assert_eq!(b.refusal_at(100).key, "error.upload_file_too_large");
        assert_eq!(b.refusal_at(100).status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(b.files_left, Some(2));
        assert!(b.may_add_file(1));
        assert!(!b.may_add_file(2));
    }

    #[test]
    fn a_link_never_allows_more_than_the_deployment() {
        let s = settings();
        let b = Budget::of(&link(Some(i64::MAX), None, 0), s.max_file_bytes);
        assert_eq!(b.per_file, s.max_file_bytes);
        assert_eq!(b.next_file_limit(5), s.max_file_bytes);
    }

    #[test]
    fn sender_identity_is_required_only_when_asked_and_checked_always() {
        assert!(Sender::parse("", "", false).is_ok());
        assert_eq!(
            Sender::parse("", "", true).unwrap_err().key,
            "error.sender_required"
        );
        assert_eq!(
            Sender::parse("A", "not-an-address", false).unwrap_err().key,
            "error.sender_email"
        );
        assert_eq!(
            Sender::parse("A\u{7}", "", false).unwrap_err().key,
            "error.sender_name"
        );
        let s = Sender::parse(" Anna ", "anna@example.org", true).unwrap();
        assert_eq!(s.name.as_deref(), Some("Anna"));
    }
}
