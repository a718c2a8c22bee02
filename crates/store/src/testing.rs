//! A throwaway PostgreSQL server for tests (feature `testing`).
//!
//! [`Postgres::shared`] starts one server per test process on a free loopback port, with its
//! data in a temporary directory; each test takes a database of its own with
//! [`Postgres::create_database`]. The server stops, and its files go, when the last test holding
//! it is done. The binaries come from `$SPRIG_PG_BIN`, or the newest
//! `/usr/lib/postgresql/*/bin`. PostgreSQL refuses to run as root, so as root the server runs as
//! user `postgres`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use anyhow::{bail, Context, Result};
use tempfile::TempDir;

/// A running PostgreSQL server; stopped on drop.
pub struct Postgres {
    dir: TempDir,
    bin: PathBuf,
    port: u16,
    /// The user the server runs as, when not the current one.
    run_as: Option<&'static str>,
    databases: AtomicUsize,
}

impl Postgres {
    /// The process's shared server, started if no test holds it.
    pub fn shared() -> Result<Arc<Postgres>> {
        static SHARED: Mutex<Weak<Postgres>> = Mutex::new(Weak::new());
        let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(server) = shared.upgrade() {
            return Ok(server);
        }
        let server = Arc::new(Postgres::start()?);
        *shared = Arc::downgrade(&server);
        Ok(server)
    }

    /// Starts a new server.
    pub fn start() -> Result<Postgres> {
        let bin = binaries()?;
        let dir = tempfile::Builder::new().prefix("sprig-pg-").tempdir()?;
        let run_as = is_root()?.then_some("postgres");
        if let Some(user) = run_as {
            run(Command::new("chown").arg(user).arg(dir.path()))?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let server = Postgres {
            bin,
            port,
            run_as,
            databases: AtomicUsize::new(0),
            dir,
        };
        let data = server.data_dir();
        run(server
            .command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"])
            .arg("--no-sync"))?;
        // Durability is not what these tests are about; speed is welcome.
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            server.port,
            server.dir.path().display()
        );
        run(server
            .command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(server.dir.path().join("server.log"))
            .args(["-w", "-o", &options, "start"]))?;
        Ok(server)
    }

    /// Creates an empty database; returns its URL.
    pub fn create_database(&self) -> Result<String> {
        let name = format!(
            "sprig_test_{}",
            self.databases.fetch_add(1, Ordering::Relaxed)
        );
        run(self
            .command("createdb")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", &name]))?;
        Ok(self.url(&name))
    }

    /// The URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

fn run(command: &mut Command) -> Result<()> {
    let output = command
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn is_root() -> Result<bool> {
    let output = Command::new("id")
        .arg("-u")
        .output()
        .context("cannot run `id -u`")?;
    Ok(String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// The directory of the PostgreSQL server binaries.
fn binaries() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("SPRIG_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .with_context(|| {
            format!(
                "no PostgreSQL server in {} (set SPRIG_PG_BIN to its bin directory)",
                root.display()
            )
        })?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!(
            "no PostgreSQL server in {} (set SPRIG_PG_BIN to its bin directory)",
            root.display()
        ),
    }
}
