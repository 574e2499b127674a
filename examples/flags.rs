//! Fluent Python's flag downloader (chapter "Asynchronous programming", `flags2_asyncio.py`),
//! against a small HTTP/1.0 server of its own on 127.0.0.1: the server serves the flags of the
//! 20 most populous countries and refuses three; the client downloads them all, at most five
//! at a time (`asyncio.Semaphore(5)`), prints one status line per flag in the order the
//! downloads finish (`asyncio.as_completed`), then a summary.
//!
//! ```python
//! async def download_one(client, cc, semaphore):
//!     try:
//!         async with semaphore:
//!             image = await get_flag(client, cc)
//!     except httpx.HTTPStatusError as exc:
//!         res = exc.response
//!         if res.status_code == HTTPStatus.NOT_FOUND:
//!             status = DownloadStatus.NOT_FOUND
//!             msg = f'not found: {res.url}'
//!     else:
//!         await asyncio.to_thread(save_flag, image, f'{cc}.gif')
//!         status = DownloadStatus.OK
//!         msg = 'OK'
//!     if verbose and msg:
//!         print(cc, msg)
//!     return status
//!
//! async def supervisor(cc_list, concur_req):
//!     semaphore = asyncio.Semaphore(concur_req)
//!     async with httpx.AsyncClient() as client:
//!         to_do = [download_one(client, cc, semaphore) for cc in sorted(cc_list)]
//!         to_do_iter = asyncio.as_completed(to_do)
//!         to_do_iter = tqdm.tqdm(to_do_iter, total=len(cc_list))
//!         for coro in to_do_iter:
//!             status = await coro
//!             counter[status] += 1
//!     return counter
//! ```
//!
//! The book downloads from a web server and saves each flag to a file; here the flags stay in
//! memory (the line says how many bytes came) and the server answers each request after a
//! delay of its own (0.1 s to 0.5 s), so the order is the same at every run. `tqdm`'s progress
//! bar is indicatif's, shown only when stdout is a terminal.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal};

mod common;
use common::say;

/// The 20 most populous countries, as the book's `POP20_CC`.
pub const POP20_CC: [&str; 20] = [
    "CN", "IN", "US", "ID", "BR", "PK", "NG", "BD", "RU", "JP", "MX", "PH", "VN", "ET", "EG", "DE",
    "IR", "TR", "CD", "FR",
];

/// The flags the server says it does not have.
const MISSING: [&str; 3] = ["CD", "IR", "NG"];

/// How long the server takes to answer for `cc`, in seconds: 0.1 to 0.5.
fn delay(cc: &str) -> f64 {
    let sum: u32 = cc.bytes().map(u32::from).sum();
    f64::from(sum % 5 + 1) / 10.0
}

/// A stand-in GIF for `cc`: the GIF signature and the country code.
fn flag_image(cc: &str) -> Vec<u8> {
    let mut image = b"GIF89a".to_vec();
    image.extend_from_slice(cc.as_bytes());
    image
}

/// One HTTP/1.0 exchange: `GET /flags/<cc>.gif`, answered `200` with the image or `404`.
#[corio::coroutine]
async fn serve_flag(mut reader: corio::StreamReader, mut writer: corio::StreamWriter) {
    let Ok(request) = reader.readline().await else {
        return;
    };
    // The headers end at an empty line.
    while let Ok(line) = reader.readline().await {
        if line == b"\r\n" || line.is_empty() {
            break;
        }
    }
    let request = String::from_utf8_lossy(&request);
    let cc = request
        .split_whitespace()
        .nth(1)
        .and_then(|path| path.strip_prefix("/flags/"))
        .and_then(|file| file.strip_suffix(".gif"))
        .unwrap_or("")
        .to_owned();
    corio::sleep(delay(&cc)).await;
    if cc.len() == 2 && !MISSING.contains(&cc.as_str()) {
        let image = flag_image(&cc);
        writer.write(
            format!(
                "HTTP/1.0 200 OK\r\nContent-Type: image/gif\r\nContent-Length: {}\r\n\r\n",
                image.len()
            )
            .as_bytes(),
        );
        writer.write(&image);
    } else {
        writer.write(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    }
    writer.close();
    let _ = writer.wait_closed().await;
}

/// How one download ended, as the book's `DownloadStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DownloadStatus {
    Ok,
    NotFound,
    Error,
}

/// `get_flag`: the status code and body of `GET /flags/<cc>.gif` on the server at `port`.
async fn get_flag(port: u16, cc: &str) -> io::Result<(u16, Vec<u8>)> {
    let (mut reader, mut writer) = corio::open_connection("127.0.0.1", port).await?;
    writer.write(format!("GET /flags/{cc}.gif HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes());
    writer.drain().await?;
    let response = reader.read_to_end().await?;
    writer.close();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no end of headers"))?;
    let status = String::from_utf8_lossy(&response[..split])
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no status code"))?;
    Ok((status, response[split + 4..].to_vec()))
}

/// `download_one`: one flag, under the semaphore; says how it went.
#[corio::coroutine]
async fn download_one(port: u16, cc: &'static str, semaphore: &corio::Semaphore) -> DownloadStatus {
    let got = {
        let _permit = semaphore.acquire().await;
        get_flag(port, cc).await
    };
    let (status, message) = match got {
        Ok((200, image)) => (DownloadStatus::Ok, format!("OK ({} bytes)", image.len())),
        Ok((404, _)) => (
            DownloadStatus::NotFound,
            format!("not found: http://127.0.0.1/flags/{cc}.gif"),
        ),
        Ok((code, _)) => (DownloadStatus::Error, format!("HTTP error {code}")),
        Err(error) => (DownloadStatus::Error, format!("error: {error}")),
    };
    say!("{cc} {message}");
    status
}

/// `supervisor`: every flag of `cc_list`, `concur_req` at a time, counted by status.
#[corio::coroutine]
async fn supervisor(
    port: u16,
    cc_list: &[&'static str],
    concur_req: usize,
) -> BTreeMap<DownloadStatus, usize> {
    let semaphore = corio::Semaphore::new(concur_req);
    let mut sorted = cc_list.to_vec();
    sorted.sort_unstable();
    let bar = io::stdout()
        .is_terminal()
        .then(|| indicatif::ProgressBar::new(sorted.len() as u64));
    let mut counter = BTreeMap::new();
    let mut to_do =
        corio::as_completed!(..sorted.iter().map(|cc| download_one(port, cc, &semaphore)));
    while let Some(status) = to_do.next().await {
        *counter.entry(status).or_insert(0) += 1;
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    counter
}

/// The program: serve, download every flag, print the summary, stop serving. Returns the
/// counts by status.
#[corio::coroutine]
pub async fn program() -> BTreeMap<DownloadStatus, usize> {
    let server = corio::start_server(
        |reader, writer| async move { serve_flag(reader, writer).await },
        "127.0.0.1",
        0,
    )
    .await
    .expect("start the flag server");
    let port = server.local_addrs()[0].port();
    let started = corio::time();
    let counter = supervisor(port, &POP20_CC, 5).await;
    let elapsed = corio::time() - started;
    let count = |status| counter.get(&status).copied().unwrap_or(0);
    say!("------");
    say!("{} flags downloaded.", count(DownloadStatus::Ok));
    say!("{} not found.", count(DownloadStatus::NotFound));
    if count(DownloadStatus::Error) > 0 {
        say!("{} errors.", count(DownloadStatus::Error));
    }
    say!("{} downloads in {elapsed:.2}s", POP20_CC.len());
    server.close();
    server.wait_closed().await;
    counter
}

fn main() {
    corio::run(program());
}
