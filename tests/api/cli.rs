use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::bote_bin;

fn bote(
    dir: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &str,
) -> std::process::Output {
    let mut cmd = Command::new(bote_bin());
    cmd.args(args)
        .current_dir(dir)
        .env_remove("BOTE_DATABASE_URL")
        .env("BOTE_DATA_DIR", dir.join("data"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn bad_configuration_stops_with_status_2_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value) in [
        ("BOTE_LISTEN", "localhost"),
        ("BOTE_DATABASE_URL", "mysql://db/bote"),
        ("BOTE_BASE_URL", "files.example.org"),
        ("BOTE_SESSION_IDLE_TIMEOUT", "forever"),
    ] {
        let out = bote(dir.path(), &["serve"], &[(key, value)], "");
        assert_eq!(out.status.code(), Some(2), "{key}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(key), "{key}: {err}");
    }
    std::fs::write(dir.path().join("bote.toml"), "listen = 42\n").unwrap();
    let out = bote(dir.path(), &["--config", "bote.toml", "serve"], &[], "");
    assert_eq!(out.status.code(), Some(2));
    let out = bote(dir.path(), &["--config", "missing.toml", "serve"], &[], "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn config_file_is_read_and_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bote.toml"),
        "data_dir = \"from-file\"\ndefault_language = \"en\"\n",
    )
    .unwrap();
    // `migrate` uses the data folder from the file.
    let mut cmd = Command::new(bote_bin());
    let out = cmd
        .args(["--config", "bote.toml", "migrate"])
        .current_dir(dir.path())
        .env_remove("BOTE_DATA_DIR")
        .env_remove("BOTE_DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("from-file/bote.db").exists());
}

#[test]
fn user_token_and_tenant_commands_work_and_validate() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let out = bote(
        p,
        &[
            "user",
            "add",
            "--email",
            "admin@stadt.example",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &[],
        "correct horse battery\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = bote(
        p,
        &[
            "user",
            "add",
            "--email",
            "admin@stadt.example",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &[],
        "correct horse battery\n",
    );
    assert_eq!(out.status.code(), Some(2), "duplicate address");
    let out = bote(
        p,
        &[
            "user",
            "add",
            "--email",
            "x@stadt.example",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &[],
        "short\n",
    );
    assert_eq!(out.status.code(), Some(2), "short password");
    let out = bote(
        p,
        &[
            "user",
            "add",
            "--email",
            "x@stadt.example",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &[],
        "Passwort123456\n",
    );
    assert_eq!(out.status.code(), Some(2), "common password");
    assert!(String::from_utf8_lossy(&out.stderr).contains("attackers"));
    let out = bote(
        p,
        &[
            "user",
            "add",
            "--email",
            "not-an-address",
            "--role",
            "staff",
            "--password-stdin",
        ],
        &[],
        "correct horse battery\n",
    );
    assert_eq!(out.status.code(), Some(2));
    let out = bote(
        p,
        &[
            "user",
            "add",
            "--email",
            "y@stadt.example",
            "--role",
            "king",
            "--password-stdin",
        ],
        &[],
        "correct horse battery\n",
    );
    assert_eq!(out.status.code(), Some(2));

    let out = bote(
        p,
        &[
            "tenant",
            "add",
            "--slug",
            "musterhausen",
            "--name",
            "Gemeinde Musterhausen",
        ],
        &[],
        "",
    );
    assert!(out.status.success());
    let out = bote(
        p,
        &["tenant", "add", "--slug", "Bad Slug", "--name", "x"],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    let out = bote(
        p,
        &[
            "user",
            "add",
            "--email",
            "clerk@musterhausen.example",
            "--role",
            "staff",
            "--tenant",
            "musterhausen",
            "--password-stdin",
        ],
        &[],
        "correct horse battery\n",
    );
    assert!(out.status.success());
    // The operator gives the new municipality its first admin by invitation.
    let invite = |email: &str, role: &str| {
        bote(
            p,
            &[
                "user",
                "invite",
                "--email",
                email,
                "--role",
                role,
                "--tenant",
                "musterhausen",
            ],
            &[],
            "",
        )
    };
    let out = invite("chefin@musterhausen.example", "admin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("outbox"));
    let out = invite("chefin@musterhausen.example", "admin");
    assert_eq!(out.status.code(), Some(2), "already has an account");
    let out = invite("op@musterhausen.example", "operator");
    assert_eq!(out.status.code(), Some(2), "no operators by invitation");
    let out = bote(p, &["tenant", "list"], &[], "");
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains("musterhausen") && listed.contains("default"));

    let out = bote(
        p,
        &[
            "token",
            "create",
            "--email",
            "admin@stadt.example",
            "--name",
            "backup",
        ],
        &[],
        "",
    );
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("bote_") && last.len() == 48, "{last}");

    let out = bote(
        p,
        &["user", "disable", "--email", "admin@stadt.example"],
        &[],
        "",
    );
    assert!(out.status.success());
    let out = bote(
        p,
        &["user", "disable", "--email", "ghost@stadt.example"],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn serve_tells_a_fresh_install_how_to_create_an_admin_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(bote_bin())
        .arg("serve")
        .current_dir(dir.path())
        .env_remove("BOTE_DATABASE_URL")
        .env("BOTE_DATA_DIR", dir.path().join("data"))
        .env("BOTE_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut out = String::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut buf = [0u8; 4096];
    use std::io::Read;
    while !out.contains("--password-stdin") && std::time::Instant::now() < deadline {
        let n = stdout.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    // The server installs its signal handlers once it runs; give it a moment after the banner.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let status = child.wait().unwrap();
    assert!(
        out.contains("Bote is running at http://127.0.0.1:"),
        "{out}"
    );
    assert!(out.contains("bote user add --email"), "{out}");
    // SIGTERM ends the server cleanly.
    assert!(status.success(), "{status:?}");
}

#[test]
fn tenant_policy_command_validates_and_records() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let ok = bote(
        p,
        &[
            "tenant",
            "policy",
            "--slug",
            "default",
            "--unscannable",
            "refuse",
            "--link-max-days",
            "60",
            "--client-addresses",
            "shortened",
            "--audit-retention-days",
            "365",
        ],
        &[],
        "",
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    for bad in [
        vec![
            "tenant",
            "policy",
            "--slug",
            "default",
            "--client-addresses",
            "partly",
        ],
        vec![
            "tenant",
            "policy",
            "--slug",
            "default",
            "--audit-retention-days",
            "-5",
        ],
        vec![
            "tenant",
            "policy",
            "--slug",
            "default",
            "--unscannable",
            "maybe",
        ],
        vec![
            "tenant",
            "policy",
            "--slug",
            "default",
            "--scanner-down",
            "ignore",
        ],
        vec![
            "tenant",
            "policy",
            "--slug",
            "default",
            "--link-default-days",
            "90",
        ],
        vec![
            "tenant",
            "policy",
            "--slug",
            "default",
            "--retention-days",
            "-1",
        ],
        vec![
            "tenant",
            "policy",
            "--slug",
            "nowhere",
            "--unscannable",
            "hold",
        ],
    ] {
        let out = bote(p, &bad, &[], "");
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    let verify = bote(p, &["audit", "verify"], &[], "");
    assert!(verify.status.success());
    let db = p.join("data/bote.db");
    let out = Command::new("python3")
        .args(["-c", &format!("import sqlite3; c=sqlite3.connect('{}'); print(c.execute(\"SELECT unscannable_policy, link_max_days FROM tenants WHERE slug='default'\").fetchone()); print(c.execute(\"SELECT COUNT(*) FROM audit_events WHERE action='policy.changed'\").fetchone())", db.display())])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("('refuse', 60)") && text.contains("(1,)"),
        "{text}"
    );
}

#[test]
fn tenant_suspend_resume_and_quota_commands_validate_and_record() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let run = |args: &[&str]| bote(p, args, &[], "");
    let listed = |out: std::process::Output| -> String {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let default_line = |text: &str| -> String {
        text.lines()
            .find(|l| l.starts_with("default\t"))
            .unwrap_or_default()
            .to_string()
    };

    let list = listed(run(&["tenant", "list"]));
    assert!(list.starts_with("slug\tstate\tlanguage\tusers\tlinks_active\tlinks_all\tstorage_bytes\tquota_bytes\tname"), "{list}");
    assert_eq!(
        default_line(&list),
        "default\tactive\tde\t0\t0\t0\t0\tunlimited\tDefault"
    );

    let out = listed(run(&["tenant", "suspend", "--slug", "default"]));
    assert!(out.contains("suspended now"), "{out}");
    assert!(default_line(&listed(run(&["tenant", "list"]))).starts_with("default\tsuspended\t"));
    let out = listed(run(&["tenant", "suspend", "--slug", "default"]));
    assert!(out.contains("already"), "{out}");
    let out = listed(run(&["tenant", "resume", "--slug", "default"]));
    assert!(out.contains("active now"), "{out}");
    assert!(default_line(&listed(run(&["tenant", "list"]))).starts_with("default\tactive\t"));

    listed(run(&[
        "tenant", "quota", "--slug", "default", "--bytes", "2G",
    ]));
    assert!(default_line(&listed(run(&["tenant", "list"]))).contains("\t2147483648\tDefault"));
    listed(run(&[
        "tenant", "quota", "--slug", "default", "--bytes", "1048576",
    ]));
    assert!(default_line(&listed(run(&["tenant", "list"]))).contains("\t1048576\tDefault"));
    listed(run(&["tenant", "quota", "--slug", "default", "--none"]));
    assert!(default_line(&listed(run(&["tenant", "list"]))).contains("\tunlimited\tDefault"));

    for (args, flag) in [
        (vec!["tenant", "suspend", "--slug", "nowhere"], "--slug"),
        (vec!["tenant", "resume", "--slug", "nowhere"], "--slug"),
        (
            vec!["tenant", "quota", "--slug", "nowhere", "--none"],
            "--slug",
        ),
        (
            vec!["tenant", "quota", "--slug", "default", "--bytes", "lots"],
            "--bytes",
        ),
        (
            vec!["tenant", "quota", "--slug", "default", "--bytes", "0"],
            "--bytes",
        ),
        (
            vec!["tenant", "quota", "--slug", "default", "--bytes", "-1"],
            "--bytes",
        ),
        (
            vec!["tenant", "quota", "--slug", "default", "--bytes", ""],
            "--bytes",
        ),
        (
            vec![
                "tenant", "quota", "--slug", "default", "--bytes", "1G", "--none",
            ],
            "--none",
        ),
        (vec!["tenant", "quota", "--slug", "default"], "--bytes"),
        (vec!["tenant", "suspend"], "--slug"),
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag), "{args:?}: {err}");
    }

    let verify = run(&["audit", "verify"]);
    assert!(verify.status.success());
    let db = p.join("data/bote.db");
    let out = Command::new("python3")
        .args(["-c", &format!("import sqlite3; c=sqlite3.connect('{}'); [print(r) for r in c.execute(\"SELECT action, actor_kind, chain = tenant_id FROM audit_events WHERE action LIKE 'tenant.%' ORDER BY seq\")]", db.display())])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "('tenant.suspended', 'system', 1)",
            "('tenant.resumed', 'system', 1)",
            "('tenant.quota_changed', 'system', 1)",
            "('tenant.quota_changed', 'system', 1)",
            "('tenant.quota_changed', 'system', 1)",
        ],
        "each change once, in the tenant's chain, by the command line"
    );
}
