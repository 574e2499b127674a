//! Fluent Python's Unicode character finder as a TCP server (`tcp_charfinder.py`): a client
//! sends words, the server answers every character whose Unicode name has all of them, one
//! line each, then a status line. Here the server and a client run on one loop over
//! 127.0.0.1; the names come from the `unicode_names2` crate (Python's `unicodedata.name`).
//!
//! ```python
//! async def finder(index, reader, writer):
//!     client = writer.get_extra_info('peername')
//!     while True:
//!         writer.write(PROMPT)  # b'?> '
//!         await writer.drain()
//!         data = await reader.readline()
//!         if not data:
//!             break
//!         query = data.decode().strip()
//!         print(f' From {client}: {query!r}')
//!         if query:
//!             if ord(query[:1]) < 32:
//!                 break
//!             results = await search(query, index, writer)
//!             print(f'   To {client}: {results} results.')
//!     writer.close()
//!     await writer.wait_closed()
//!     print(f'Close {client}.')
//!
//! async def search(query, index, writer):
//!     chars = index.search(query)
//!     lines = (index.describe(c).encode() + CRLF for c in chars)
//!     writer.writelines(lines)
//!     await writer.drain()
//!     status_line = f'{"─" * 66} {len(chars)} found'
//!     writer.write(status_line.encode() + CRLF)
//!     await writer.drain()
//!     return len(chars)
//! ```
//!
//! The book prints the client's address; its port changes from run to run, so here the
//! server's log says `client` instead.

use std::sync::OnceLock;

mod common;
use common::say;

const PROMPT: &[u8] = b"?> ";
const CRLF: &[u8] = b"\r\n";

/// Every named character with the words of its name (the book's `InvertedIndex`, kept as a
/// list: a scan of it answers a query in a few milliseconds).
fn index() -> &'static Vec<(char, String)> {
    static INDEX: OnceLock<Vec<(char, String)>> = OnceLock::new();
    INDEX.get_or_init(|| {
        (' '..=char::MAX)
            .filter_map(|c| unicode_names2::name(c).map(|name| (c, name.to_string())))
            .collect()
    })
}

/// The characters whose name has every word of `query` (case-insensitive), in code point
/// order.
pub fn search(query: &str) -> Vec<(char, &'static str)> {
    let words: Vec<String> = query.split_whitespace().map(str::to_uppercase).collect();
    index()
        .iter()
        .filter(|(_, name)| {
            words
                .iter()
                .all(|word| name.split([' ', '-']).any(|w| w == word))
        })
        .map(|(c, name)| (*c, name.as_str()))
        .collect()
}

/// The book's `describe`: `U+2654\t♔\tWHITE CHESS KING`.
fn describe(c: char, name: &str) -> String {
    format!("U+{:04X}\t{c}\t{name}", u32::from(c))
}

/// The book's `finder`: one client's session.
#[corio::coroutine]
async fn finder(mut reader: corio::StreamReader, mut writer: corio::StreamWriter) {
    loop {
        writer.write(PROMPT);
        if writer.drain().await.is_err() {
            break;
        }
        let Ok(data) = reader.readline().await else {
            break;
        };
        if data.is_empty() {
            break;
        }
        let query = String::from_utf8_lossy(&data).trim().to_owned();
        say!(" From client: {query:?}");
        if !query.is_empty() {
            if query.chars().next().is_some_and(|c| (c as u32) < 32) {
                break;
            }
            let chars = search(&query);
            for (c, name) in &chars {
                writer.write(describe(*c, name).as_bytes());
                writer.write(CRLF);
            }
            writer.write(format!("{} {} found", "─".repeat(66), chars.len()).as_bytes());
            writer.write(CRLF);
            if writer.drain().await.is_err() {
                break;
            }
            say!("   To client: {} results.", chars.len());
        }
    }
    writer.close();
    let _ = writer.wait_closed().await;
    say!("Close client.");
}

/// A client: sends each query and prints the answer lines, then hangs up.
#[corio::coroutine]
async fn client(port: u16, queries: &[&str]) {
    let (mut reader, mut writer) = corio::open_connection("127.0.0.1", port)
        .await
        .expect("connect");
    for query in queries {
        reader.readexactly(PROMPT.len()).await.expect("prompt");
        writer.write(format!("{query}\r\n").as_bytes());
        loop {
            let line = reader.readline().await.expect("answer");
            let line = String::from_utf8_lossy(&line).trim_end().to_owned();
            say!("{line}");
            if line.ends_with(" found") {
                break;
            }
        }
    }
    writer.close();
    let _ = writer.wait_closed().await;
}

/// The server and one client asking for the white chess kings and the suns with faces.
#[corio::coroutine]
pub async fn program() {
    // Built before serving, as the book builds its index before `start_server`.
    index();
    let server = corio::start_server(
        |reader, writer| async move { finder(reader, writer).await },
        "127.0.0.1",
        0,
    )
    .await
    .expect("start the server");
    let port = server.local_addrs()[0].port();
    client(port, &["white chess king", "sun face"]).await;
    server.close();
    server.wait_closed().await;
}

fn main() {
    corio::run(program());
}
