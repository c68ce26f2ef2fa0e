//! The real files the tests read, made by other programs: Excel and LibreOffice
//! workbooks from the `python-calamine` source archive, and the Vega project's CSV and
//! JSON datasets from the `vega-datasets` wheel. Both come from PyPI, pinned by version
//! and SHA-256, and are fetched once into the build directory
//! (`<target>/tmp/corpus/`, which `./wb` also seeds the fuzzers and the browser tests
//! from). A fresh clone needs nothing else; without network, put the two archives in
//! that directory by hand and they are used after their hashes are checked.

use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// One pinned archive, and the folder inside it whose files are kept.
struct Archive {
    /// The folder it is unpacked to, under the corpus directory.
    dir: &'static str,
    url: &'static str,
    sha256: &'static str,
    /// The folder inside the archive whose files are kept (its sub-folders are not).
    inside: &'static str,
}

const CALAMINE: Archive = Archive {
    dir: "python-calamine-0.9.1",
    url: "https://files.pythonhosted.org/packages/68/ec/923684e9d817b4b317942c9dd36a66cd213a3c0abcb3c58d2cb22e3a4355/python_calamine-0.9.1.tar.gz",
    sha256: "458094c3dd41bd330c0a43d20e23489964ba28b3301687f1c5acc03c81d06a9f",
    inside: "python_calamine-0.9.1/tests/data/",
};

const VEGA: Archive = Archive {
    dir: "vega-datasets-0.9.0",
    url: "https://files.pythonhosted.org/packages/e6/9f/ca52771fe972e0dcc5167fedb609940e01516066938ff2ee28b273ae4f29/vega_datasets-0.9.0-py3-none-any.whl",
    sha256: "3d7c63917be6ca9b154b565f4779a31fedce57b01b5b9d99d8a34a7608062a1d",
    inside: "vega_datasets/_data/",
};

/// The corpus directory, fetched and unpacked on first use (once per test process;
/// concurrent test processes each unpack to a private folder and rename it into
/// place, so none sees a half-written folder).
pub fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus");
        for archive in [&CALAMINE, &VEGA] {
            if let Err(e) = fetch(&root, archive) {
                panic!(
                    "the test corpus could not be made: {e}\n(the tests fetch {} from PyPI; \
                     without network, put that file, unchanged, in {})",
                    archive.url,
                    root.display()
                );
            }
        }
        root
    })
}

/// A workbook from python-calamine's `tests/data/`.
pub fn calamine(name: &str) -> Vec<u8> {
    read(&dir().join(CALAMINE.dir).join(name))
}

/// A dataset from vega-datasets' `_data/`.
pub fn vega(name: &str) -> Vec<u8> {
    read(&dir().join(VEGA.dir).join(name))
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn file_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A name unique to this process and moment, for files about to be renamed into place.
fn private(path: &Path) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.{}.{nanos}", std::process::id()))
}

fn fetch(root: &Path, archive: &Archive) -> Result<(), String> {
    let done = root.join(archive.dir);
    if done.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
    let kept = root.join(file_name(archive.url));
    let bytes = match std::fs::read(&kept) {
        Ok(bytes) if sha256(&bytes) == archive.sha256 => bytes,
        _ => {
            let bytes = download(archive.url)?;
            let got = sha256(&bytes);
            if got != archive.sha256 {
                return Err(format!(
                    "{} has SHA-256 {got}, not the pinned {}",
                    archive.url, archive.sha256
                ));
            }
            let tmp = private(&kept);
            std::fs::write(&tmp, &bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
            std::fs::rename(&tmp, &kept).map_err(|e| format!("{}: {e}", kept.display()))?;
            bytes
        }
    };
    let tmp = private(&done);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let unpacked = unpack(&bytes, archive, &tmp);
    let placed = unpacked.and_then(|count| match count {
        0 => Err(format!("{} holds no {}", archive.url, archive.inside)),
        _ => std::fs::rename(&tmp, &done).or_else(|e| match done.is_dir() {
            // Another test process got there first.
            true => Ok(()),
            false => Err(format!("{}: {e}", done.display())),
        }),
    });
    let _ = std::fs::remove_dir_all(&tmp);
    placed
}

fn download(url: &str) -> Result<Vec<u8>, String> {
    let url = url.to_string();
    // Its own thread and runtime: callers may be inside a test's runtime, or none.
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async {
            let mut client = reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(30))
                .timeout(Duration::from_secs(300));
            for cert in system_roots() {
                client = client.add_root_certificate(cert);
            }
            let client = client.build().map_err(|e| e.to_string())?;
            let answer = client
                .get(&url)
                .send()
                .await
                .and_then(|r| r.error_for_status())
                .map_err(|e| format!("downloading {url}: {}", chain(&e)))?;
            let bytes = answer
                .bytes()
                .await
                .map_err(|e| format!("downloading {url}: {}", chain(&e)))?;
            Ok(bytes.to_vec())
        })
    })
    .join()
    .map_err(|_| "the download thread panicked".to_string())?
}

/// The system's trusted certificates as well as the built-in ones, as curl trusts
/// them: a network that inspects TLS (a company proxy) adds its own authority there.
fn system_roots() -> Vec<reqwest::Certificate> {
    let file = std::env::var_os("SSL_CERT_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/etc/ssl/certs/ca-certificates.crt"));
    std::fs::read(file)
        .ok()
        .and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).ok())
        .unwrap_or_default()
}

/// An error and its causes, which reqwest keeps out of its own message.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

/// Writes the files directly inside `archive.inside` to `into`; returns how many.
fn unpack(bytes: &[u8], archive: &Archive, into: &Path) -> Result<usize, String> {
    let mut count = 0;
    let mut keep = |path: &str, data: &mut dyn Read| -> Result<(), String> {
        let Some(name) = path.strip_prefix(archive.inside) else {
            return Ok(());
        };
        let plain = Path::new(name).components().count() == 1
            && matches!(
                Path::new(name).components().next(),
                Some(Component::Normal(_))
            );
        if !plain {
            return Ok(());
        }
        let mut out = Vec::new();
        data.read_to_end(&mut out)
            .map_err(|e| format!("{path}: {e}"))?;
        std::fs::write(into.join(name), out).map_err(|e| format!("{name}: {e}"))?;
        count += 1;
        Ok(())
    };
    if archive.url.ends_with(".whl") {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| format!("{}: {e}", archive.url))?;
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).map_err(|e| e.to_string())?;
            if entry.is_file() {
                let path = String::from_utf8_lossy(entry.name_raw()).into_owned();
                keep(&path, &mut entry)?;
            }
        }
    } else {
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
        for entry in tar.entries().map_err(|e| format!("{}: {e}", archive.url))? {
            let mut entry = entry.map_err(|e| format!("{}: {e}", archive.url))?;
            if entry.header().entry_type().is_file() {
                let path = entry
                    .path()
                    .map_err(|e| e.to_string())?
                    .to_string_lossy()
                    .into_owned();
                keep(&path, &mut entry)?;
            }
        }
    }
    Ok(count)
}
