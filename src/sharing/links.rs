//! Creating and changing links, and attaching files to them, each in one transaction with its
//! audit record.

use rand::Rng;

use super::ingest::Ingested;
use super::scanning;
use crate::audit::{chain, Actor, AuditEvent, Outcome};
use crate::auth::password;
use crate::db::files::{self, NewFile};
use crate::db::links::{self, Link, LinkChanges, NewLink};
use crate::db::users::User;
use crate::db::{new_id, Db};
use crate::domain::file_name::FileName;
use crate::domain::link::LinkKind;
use crate::domain::secret::{random_token, secret_hash};
use crate::error::AppError;
use crate::storage::BlobStore;
use crate::web::client::ClientInfo;

/// Shortest password a link may have.
pub const MIN_LINK_PASSWORD: usize = 8;
pub const MAX_TITLE: usize = 200;
pub const MAX_MESSAGE: usize = 5000;

/// Checked title, message and limits of a link.
pub struct LinkInput {
    /// Who gets the link by mail (never the password).
    pub recipients: Vec<crate::domain::email::EmailAddress>,
    pub title: String,
    pub message: String,
    pub expires_at: i64,
    pub password: Option<String>,
    pub max_downloads: Option<i64>,
    /// What an upload link accepts (`None` for a download link).
    pub upload: Option<crate::db::links::UploadRules>,
    /// The notices the owner asked for.
    pub notices: crate::db::links::Notices,
}

/// Trims and checks free text: no control characters except line breaks and tabs in messages.
pub fn clean_text(
    text: &str,
    max: usize,
    multiline: bool,
    key: &'static str,
) -> Result<String, AppError> {
    let t = text.trim();
    if t.chars().count() > max
        || t.chars()
            .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
    {
        return Err(AppError::BadRequest(key));
    }
    Ok(t.replace("\r\n", "\n"))
}

/// Recipient addresses from a form field or list: commas, semicolons or line breaks between.
pub fn parse_recipients<'a>(
    items: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<crate::domain::email::EmailAddress>, AppError> {
    let mut out: Vec<crate::domain::email::EmailAddress> = Vec::new();
    for item in items {
        for part in item.split([',', ';', '\n', '\r']) {
            if part.trim().is_empty() {
                continue;
            }
            let email = crate::domain::email::EmailAddress::parse(part)
                .map_err(|_| AppError::BadRequest("error.recipients"))?;
            if !out.contains(&email) {
                out.push(email);
            }
        }
    }
    if out.len() > 50 {
        return Err(AppError::BadRequest("error.recipients"));
    }
    Ok(out)
}

pub fn check_max_downloads(n: i64) -> Result<i64, AppError> {
    if (1..=100_000).contains(&n) {
        Ok(n)
    } else {
        Err(AppError::BadRequest("error.max_downloads"))
    }
}

/// Checks the limits staff set for an upload link: counts and sizes positive, a file never
/// larger than the deployment accepts, allowed types from the catalogue.
#[allow(clippy::too_many_arguments)]
pub fn upload_rules<'a>(
    settings: &crate::config::Settings,
    max_files: Option<i64>,
    max_bytes: Option<i64>,
    max_file_bytes: Option<i64>,
    allowed_types: impl IntoIterator<Item = &'a str>,
    require_identity: bool,
    notify_uploads: bool,
    single_use: bool,
) -> Result<crate::db::links::UploadRules, AppError> {
    if max_files.is_some_and(|n| !(1..=10_000).contains(&n)) {
        return Err(AppError::BadRequest("error.max_files"));
    }
    if max_bytes.is_some_and(|n| n < 1) {
        return Err(AppError::BadRequest("error.max_bytes"));
    }
    if max_file_bytes.is_some_and(|n| n < 1 || n as u64 > settings.max_file_bytes) {
        return Err(AppError::BadRequest("error.max_file_bytes"));
    }
    let types = crate::domain::file_type::parse_list(allowed_types)
        .map_err(|_| AppError::BadRequest("error.allowed_types"))?;
    Ok(crate::db::links::UploadRules {
        max_files,
        max_bytes,
        max_file_bytes,
        allowed_types: (!types.is_empty())
            .then(|| types.iter().map(|t| t.key).collect::<Vec<_>>().join(",")),
        require_identity,
        notify_uploads,
        single_use,
    })
}

/// A password that is easy to read out on the phone: groups of 4 from an unambiguous alphabet,
/// at least 4 groups (about 78 bits) and enough for the tenant's minimum length.
pub fn generate_password(min_len: i64) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    let groups = ((min_len.max(0) as usize + 1).div_ceil(5)).max(4);
    (0..groups)
        .map(|_| {
            (0..4)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Applies the tenant's rules to received files: size, the link's total (with `already` bytes
/// the link holds), kinds of file, and files without a clean-or-infected verdict. Refused files
/// are not stored (the caller removes their blobs).
pub fn check_files(
    policy: &super::policy::LinkPolicy,
    settings: &crate::config::Settings,
    incoming: &[Incoming],
    already: i64,
) -> Result<(), AppError> {
    let limit = policy.file_limit(settings);
    let mut total = already.max(0) as u64;
    for f in incoming {
        if f.data.size > limit {
            return Err(AppError::PayloadTooLarge);
        }
        total += f.data.size;
        if policy
            .max_link_bytes
            .is_some_and(|max| total > max.max(0) as u64)
        {
            return Err(AppError::Unprocessable("error.link_total_policy"));
        }
        if !policy.accepts_type(&f.data.content_type, f.name.as_str()) {
            return Err(AppError::Unprocessable("error.type_not_in_policy"));
        }
    }
    check_scan_policy(policy, incoming)
}

/// The tenant's rules for files without a clean-or-infected verdict.
pub fn check_scan_policy(
    policy: &super::policy::LinkPolicy,
    incoming: &[Incoming],
) -> Result<(), AppError> {
    for f in incoming {
        if policy.refuse_unscannable
            && matches!(
                f.data.verdict,
                Some(crate::scan::ScanVerdict::Unscannable { .. })
            )
        {
            return Err(AppError::Unprocessable("error.unscannable_refused"));
        }
        if policy.refuse_while_scanner_down && f.data.scanner_unreachable {
            return Err(AppError::Unavailable("error.scanner_down_refused"));
        }
    }
    Ok(())
}

/// One received file to attach.
pub struct Incoming {
    pub name: FileName,
    pub data: Ingested,
}

fn link_event(
    action: &'static str,
    outcome: Outcome,
    user: &User,
    link_id: &str,
    client: Option<&ClientInfo>,
) -> AuditEvent {
    let mut e =
        AuditEvent::new(action, outcome, Actor::user(user)).tenant(user.tenant_id.as_deref());
    if let Some(c) = client {
        e = e.client(c);
    }
    e.link_id = Some(link_id.to_string());
    e
}

/// Creates a link with its files. Returns the link id and the public token (shown once; only
/// its hash is stored).
pub async fn create(
    state: &crate::startup::AppState,
    owner: &User,
    kind: LinkKind,
    mut input: LinkInput,
    incoming: Vec<Incoming>,
    client: Option<&ClientInfo>,
) -> Result<(String, String), AppError> {
    let tenant_id = owner.tenant_id.clone().ok_or(AppError::Forbidden)?;
    if input.notices.downloads && kind != LinkKind::Download {
        return Err(AppError::BadRequest("error.notify_downloads_on_upload"));
    }
    // The tenant's rules, here where pages and API meet.
    let policy = super::policy::for_tenant(&state.db, &tenant_id).await?;
    policy.may_create(owner.role(), kind)?;
    policy.check_password_present(input.password.is_some())?;
    if let Some(pw) = &input.password {
        policy.check_link_password(pw)?;
    }
    if let Some(rules) = input.upload.as_mut() {
        rules.allowed_types = policy.upload_link_types(rules.allowed_types.as_deref())?;
        rules.max_bytes = policy.upload_link_bytes(rules.max_bytes)?;
        rules.max_file_bytes = policy.upload_file_bytes(rules.max_file_bytes)?;
    }
    check_files(&policy, &state.settings, &incoming, 0)?;
    let password_hash = match &input.password {
        Some(pw) => Some(password::hash(pw.clone()).await?),
        None => None,
    };
    let token = random_token();
    let mut tx = state.db.pool.begin().await?;
    let link_id = links::insert(
        &mut tx,
        &NewLink {
            tenant_id: &tenant_id,
            owner_id: &owner.id,
            kind,
            token_hash: &secret_hash(&token),
            token_sealed: &state.sealer.seal(&token),
            title: &input.title,
            message: &input.message,
            expires_at: input.expires_at,
            password_hash: password_hash.as_deref(),
            max_downloads: input.max_downloads,
            upload: input.upload.as_ref(),
            notices: input.notices,
        },
    )
    .await?;
    chain::append(
        &mut tx,
        &link_event("link.created", Outcome::Success, owner, &link_id, client)
            .detail("kind", kind.as_str())
            .detail("title", input.title.clone())
            .detail("expires_at", crate::domain::time::rfc3339(input.expires_at))
            .detail("password", input.password.is_some())
            .detail("max_downloads", input.max_downloads)
            .detail("notify_downloads", input.notices.downloads)
            .detail("remind_expiry", input.notices.expiry),
    )
    .await?;
    if !input.recipients.is_empty() {
        mail_link(&mut tx, state, owner, &tenant_id, &link_id, &token, &input).await?;
        chain::append(
            &mut tx,
            &link_event("link.mailed", Outcome::Success, owner, &link_id, client).detail(
                "recipients",
                input
                    .recipients
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>(),
            ),
        )
        .await?;
    }
    let mut infected = Vec::new();
    let attach = Attach {
        actor: Actor::user(owner),
        uploaded_by: Some(&owner.id),
        submission: None,
        tenant_id: &tenant_id,
        link_id: &link_id,
        client,
        settings: &state.settings,
    };
    for file in &incoming {
        if let Some(key) = insert_file(&mut tx, &attach, file, &new_id()).await? {
            infected.push(key);
        }
    }
    crate::mail::outbox::release_held(&mut tx, &link_id).await?;
    tx.commit().await?;
    remove_blobs(&state.store, infected).await;
    Ok((link_id, token))
}

/// Puts the link mail for each recipient into the outbox (tenant language; no password).
async fn mail_link(
    tx: &mut sqlx::AnyConnection,
    state: &crate::startup::AppState,
    owner: &User,
    tenant_id: &str,
    link_id: &str,
    token: &str,
    input: &LinkInput,
) -> Result<(), AppError> {
    let (tenant_name, tenant_lang): (String, String) =
        sqlx::query_as("SELECT name, language FROM tenants WHERE id = $1")
            .bind(tenant_id)
            .fetch_one(&mut *tx)
            .await?;
    let lang = crate::i18n::Lang::parse(&tenant_lang).unwrap_or(crate::i18n::Lang::De);
    let url = state.settings.public_url(&format!("s/{token}"));
    let expires = crate::web::format::date_time(input.expires_at, lang);
    for to in &input.recipients {
        let notice = crate::mail::messages::link_shared(
            lang,
            &crate::mail::messages::SharedLink {
                title: &input.title,
                message: &input.message,
                sender: &owner.display_name,
                tenant: &tenant_name,
                url: &url,
                expires: &expires,
                has_password: input.password.is_some(),
                upload: input.upload.is_some(),
            },
        );
        let mut mail = notice.into_mail("link_shared", Some(tenant_id), &tenant_name, to.as_str());
        // Held until every file has a verdict: nothing is announced before it is scanned.
        mail.held_for_link = Some(link_id.to_string());
        crate::mail::enqueue(tx, &mail).await?;
    }
    Ok(())
}

/// Attaches one received file to an existing link; returns the new file's id.
pub async fn add_file(
    state: &crate::startup::AppState,
    user: &User,
    link: &Link,
    file: Incoming,
    client: Option<&ClientInfo>,
) -> Result<String, AppError> {
    let policy = super::policy::for_tenant(&state.db, &link.tenant_id).await?;
    let held = files::total_bytes(&state.db, &link.id).await?;
    if let Err(e) = check_files(&policy, &state.settings, std::slice::from_ref(&file), held) {
        remove_blobs(&state.store, vec![file.data.storage_key.clone()]).await;
        return Err(e);
    }
    let mut tx = state.db.pool.begin().await?;
    // Write first, so the transaction holds the write lock before it reads anything.
    sqlx::query("UPDATE links SET updated_at = $1 WHERE id = $2")
        .bind(crate::domain::time::now_ms())
        .bind(&link.id)
        .execute(&mut *tx)
        .await?;
    let id = new_id();
    let attach = Attach {
        actor: Actor::user(user),
        uploaded_by: Some(&user.id),
        submission: None,
        tenant_id: &link.tenant_id,
        link_id: &link.id,
        client,
        settings: &state.settings,
    };
    let result = async {
        let infected = insert_file(&mut tx, &attach, &file, &id).await?;
        tx.commit().await?;
        Ok::<_, AppError>(infected)
    }
    .await;
    match result {
        Ok(infected) => {
            remove_blobs(&state.store, infected.into_iter().collect()).await;
            Ok(id)
        }
        Err(e) => {
            // Nothing refers to the blob: remove it rather than leave an orphan.
            remove_blobs(&state.store, vec![file.data.storage_key.clone()]).await;
            Err(e)
        }
    }
}

/// Where a received file goes and who brought it: staff (`uploaded_by`) or a partner's
/// submission to an upload link.
pub(super) struct Attach<'a> {
    pub actor: Actor,
    pub uploaded_by: Option<&'a str>,
    pub submission: Option<&'a crate::db::submissions::Submission>,
    pub tenant_id: &'a str,
    pub link_id: &'a str,
    pub client: Option<&'a ClientInfo>,
    pub settings: &'a crate::config::Settings,
}

/// Inserts the file row, its audit records and, for a rejected or held file, the notices to the
/// owner and admins; returns the storage key to delete when the file was infected.
pub(super) async fn insert_file(
    tx: &mut sqlx::AnyConnection,
    at: &Attach<'_>,
    file: &Incoming,
    file_id: &str,
) -> Result<Option<String>, AppError> {
    let (tenant_id, link_id, client) = (at.tenant_id, at.link_id, at.client);
    let submission_id = at.submission.map(|s| s.id.as_str());
    let (state, detail, next) = scanning::outcome(file.data.verdict.as_ref(), 0);
    files::insert(
        tx,
        &NewFile {
            id: file_id,
            tenant_id,
            link_id,
            name: file.name.as_str(),
            size: file.data.size as i64,
            sha256: &file.data.sha256,
            content_type: &file.data.content_type,
            storage_key: &file.data.storage_key,
            scan_state: state,
            scan_detail: detail.as_deref(),
            next_scan_at: next,
            uploaded_by: at.uploaded_by,
            submission_id,
        },
    )
    .await?;
    let mut e = AuditEvent::new("file.uploaded", Outcome::Success, at.actor.clone())
        .tenant(Some(tenant_id))
        .detail("name", file.name.as_str())
        .detail("size", file.data.size)
        .detail("sha256", file.data.sha256.clone())
        .detail("content_type", file.data.content_type.clone());
    if let Some(c) = client {
        e = e.client(c);
    }
    if let Some(s) = at.submission {
        e = e
            .detail("submission", s.id.clone())
            .detail("sender_name", s.sender_name.clone())
            .detail("sender_email", s.sender_email.clone());
    }
    e.link_id = Some(link_id.to_string());
    e.file_id = Some(file_id.to_string());
    chain::append(tx, &e).await?;
    if state != "pending" {
        let stored = files::StoredFile {
            id: file_id.to_string(),
            tenant_id: tenant_id.to_string(),
            link_id: link_id.to_string(),
            name: file.name.as_str().to_string(),
            size: file.data.size as i64,
            sha256: file.data.sha256.clone(),
            content_type: file.data.content_type.clone(),
            storage_key: file.data.storage_key.clone(),
            scan_state: state.to_string(),
            scan_detail: detail.clone(),
            scan_attempts: 1,
            uploaded_by: at.uploaded_by.map(str::to_string),
            created_at: 0,
            deleted_at: None,
            submission_id: submission_id.map(str::to_string),
        };
        chain::append(
            tx,
            &scanning::verdict_event(&stored, state, detail.as_deref()),
        )
        .await?;
        if state == "infected" || state == "unscannable" {
            super::notify::file_not_available(
                tx,
                at.settings,
                link_id,
                file.name.as_str(),
                state,
                detail.as_deref().unwrap_or_default(),
            )
            .await?;
        }
    }
    Ok((state == "infected").then(|| file.data.storage_key.clone()))
}

pub(super) async fn remove_blobs(store: &BlobStore, keys: Vec<String>) {
    for key in keys {
        if let Err(e) = store.remove(&key).await {
            tracing::error!(key, error = %format!("{e:#}"), "could not remove a blob");
        }
    }
}

/// Applies an edit and records which fields changed. Download notices are for download links.
pub async fn change(
    db: &Db,
    user: &User,
    link: &Link,
    changes: LinkChanges,
    client: Option<&ClientInfo>,
) -> Result<(), AppError> {
    if changes.notify_downloads == Some(true) && link.kind() != LinkKind::Download {
        return Err(AppError::BadRequest("error.notify_downloads_on_upload"));
    }
    if changes.password_hash == Some(None) {
        super::policy::for_tenant(db, &link.tenant_id)
            .await?
            .check_password_present(false)?;
    }
    let mut fields = Vec::new();
    if changes.title.as_ref().is_some_and(|t| t != &link.title) {
        fields.push("title");
    }
    if changes.message.as_ref().is_some_and(|m| m != &link.message) {
        fields.push("message");
    }
    if changes.expires_at.is_some_and(|e| e != link.expires_at) {
        fields.push("expires_at");
    }
    if changes
        .max_downloads
        .is_some_and(|m| m != link.max_downloads)
    {
        fields.push("max_downloads");
    }
    if changes
        .notify_downloads
        .is_some_and(|n| i64::from(n) != link.notify_downloads)
    {
        fields.push("notify_downloads");
    }
    if changes
        .remind_expiry
        .is_some_and(|r| i64::from(r) != link.remind_expiry)
    {
        fields.push("remind_expiry");
    }
    let mut tx = db.pool.begin().await?;
    links::update(&mut tx, link, &changes).await?;
    if !fields.is_empty() {
        chain::append(
            &mut tx,
            &link_event("link.changed", Outcome::Success, user, &link.id, client)
                .detail("fields", fields.clone()),
        )
        .await?;
    }
    if let Some(pw) = &changes.password_hash {
        chain::append(
            &mut tx,
            &link_event(
                "link.password_changed",
                Outcome::Success,
                user,
                &link.id,
                client,
            )
            .detail("password", pw.is_some()),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn revoke(
    db: &Db,
    user: &User,
    link: &Link,
    client: Option<&ClientInfo>,
) -> Result<(), AppError> {
    let mut tx = db.pool.begin().await?;
    if links::revoke(&mut tx, link).await? {
        chain::append(
            &mut tx,
            &link_event("link.revoked", Outcome::Success, user, &link.id, client),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Removes a file from a link (and from storage).
pub async fn remove_file(
    db: &Db,
    store: &BlobStore,
    settings: &crate::config::Settings,
    user: &User,
    file: &files::StoredFile,
    client: Option<&ClientInfo>,
) -> Result<(), AppError> {
    let mut tx = db.pool.begin().await?;
    if files::mark_deleted(&mut tx, &file.id).await? {
        let mut e = link_event(
            "file.deleted",
            Outcome::Success,
            user,
            &file.link_id,
            client,
        )
        .detail("name", file.name.clone());
        e.file_id = Some(file.id.clone());
        chain::append(&mut tx, &e).await?;
        // A deleted pending file may have been the last one its submission waited for.
        if let Some(submission) = &file.submission_id {
            super::uploads::notice_when_settled(&mut tx, settings, submission).await?;
        }
    }
    tx.commit().await?;
    remove_blobs(store, vec![file.storage_key.clone()]).await;
    Ok(())
}

/// Closes an upload link: partners see the neutral page until it is reopened.
pub async fn close(
    db: &Db,
    user: &User,
    link: &Link,
    client: Option<&ClientInfo>,
) -> Result<(), AppError> {
    if link.kind() != LinkKind::Upload {
        return Err(AppError::Conflict("error.not_upload_link"));
    }
    let mut tx = db.pool.begin().await?;
    if links::close(&mut tx, link, crate::domain::time::now_ms()).await? {
        chain::append(
            &mut tx,
            &link_event("link.closed", Outcome::Success, user, &link.id, client),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Opens a closed or expired upload link again, for `days` within the tenant's maximum.
pub async fn reopen(
    db: &Db,
    user: &User,
    link: &Link,
    days: i64,
    client: Option<&ClientInfo>,
) -> Result<(), AppError> {
    if link.kind() != LinkKind::Upload {
        return Err(AppError::Conflict("error.not_upload_link"));
    }
    let policy = super::policy::for_tenant(db, &link.tenant_id).await?;
    let expires =
        crate::domain::link::Expiry::in_days(days, policy.max_days).map_err(AppError::from)?;
    let mut tx = db.pool.begin().await?;
    if !links::reopen(&mut tx, link, expires.0, crate::domain::time::now_ms()).await? {
        return Err(AppError::Conflict("error.not_reopenable"));
    }
    chain::append(
        &mut tx,
        &link_event("link.reopened", Outcome::Success, user, &link.id, client)
            .detail("expires_at", crate::domain::time::rfc3339(expires.0)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
