//! Workloads over sockets: message pushes, idle sockets, session ends.

use super::*;

/// The kind of a failed WebSocket handshake.
fn ws_error_kind(err: &tungstenite::Error) -> String {
    match err {
        tungstenite::Error::Http(response) => response.status().as_u16().to_string(),
        tungstenite::Error::Io(_) => "io".to_owned(),
        _ => "ws".to_owned(),
    }
}

/// The row of a workload that could not open `what`: a missing route is a
/// clean "unsupported", anything else says why.
fn socket_refused(workload: &str, what: &str, err: &tungstenite::Error) -> Row {
    let note = if ws_error_kind(err) == "404" {
        "unsupported (404): GET /api/v1/ws".to_owned()
    } else {
        format!("cannot open {what}: {err}")
    };
    Row::skipped(workload, note)
}

async fn open_socket(api: &Api, token: &str) -> Result<Socket, tungstenite::Error> {
    let url = api
        .target()
        .ws_url(&format!("/api/v1/ws?access_token={token}"));
    let (socket, _) = connect_async(url).await?;
    Ok(socket)
}

/// Push latencies of `message.created` frames, keyed by message body.
#[derive(Debug, Default)]
struct PushBook {
    sent: HashMap<String, (Instant, bool)>,
    record: Recorder,
}

/// `POST /api/v1/conversations/{id}/messages` from customers to providers
/// whose sockets are open; the push latency is from just before the POST to
/// the recipient's `message.created` frame.
pub async fn messages(ctx: &Context, seed: &Seed) -> Vec<Row> {
    let tasks = ctx.connections().min(seed.providers.len());
    let api = &ctx.api;
    // One conversation per connection: customer (i mod C) with provider i.
    let mut conversations = Vec::with_capacity(tasks);
    for (i, provider) in seed.providers.iter().take(tasks).enumerate() {
        let customer = &seed.customers[i % seed.customers.len()];
        let body = json!({"participant_id": provider.id});
        match api
            .post("/api/v1/conversations", Some(&customer.access_token), &body)
            .await
        {
            Ok((status, value)) if status == StatusCode::CREATED || status == StatusCode::OK => {
                match value.get("id").and_then(Value::as_str) {
                    Some(id) => conversations.push((id.to_owned(), customer.access_token.clone())),
                    None => return vec![Row::skipped("messages", "conversation without an id")],
                }
            }
            Ok((status, _))
                if status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED =>
            {
                return vec![Row::skipped(
                    "messages",
                    format!(
                        "unsupported ({}): POST /api/v1/conversations",
                        status.as_u16()
                    ),
                )];
            }
            Ok((status, _)) => {
                return vec![Row::skipped(
                    "messages",
                    format!("cannot open a conversation: {status}"),
                )];
            }
            Err(err) => {
                return vec![Row::skipped(
                    "messages",
                    format!("cannot open a conversation: {err}"),
                )];
            }
        }
    }

    let book = Arc::new(Mutex::new(PushBook::default()));
    let clock = ctx.clock();
    let mut readers = JoinSet::new();
    for provider in seed.providers.iter().take(tasks) {
        let socket = match open_socket(api, &provider.access_token).await {
            Ok(socket) => socket,
            Err(err) => {
                return vec![socket_refused("messages", "the recipient's socket", &err)];
            }
        };
        let book = Arc::clone(&book);
        readers.spawn(read_pushes(socket, book));
    }

    let before = ctx.rss();
    let http = api.clone();
    let conversations = Arc::new(conversations);
    let sender_book = Arc::clone(&book);
    let meter = ctx.meter();
    let phase = closed_loop(tasks, clock, move |task, seq| {
        let (conversation, token) = &conversations[task];
        let body = format!("lg {task} {seq}");
        let request = http
            .http()
            .post(http.url(&format!("/api/v1/conversations/{conversation}/messages")))
            .bearer_auth(token)
            .json(&json!({"body": body}));
        let book = Arc::clone(&sender_book);
        async move {
            let at = Instant::now();
            if let Ok(mut book) = book.lock() {
                book.sent.insert(body, (at, clock.measures(at)));
            }
            check(request.send().await, StatusCode::CREATED).await
        }
    })
    .await;

    // Let the last pushes land, then count what never came.
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        let waiting = book
            .lock()
            .map_or(0, |b| b.sent.values().filter(|(_, m)| *m).count());
        if waiting == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    readers.abort_all();
    let after = ctx.rss();
    let mut post = row_of("messages (POST)", &phase, &meter);
    post.rss_before_kib = before;
    post.rss_after_kib = after;
    let mut push = match book.lock() {
        Ok(mut book) => {
            let lost = book.sent.values().filter(|(_, measured)| *measured).count();
            for _ in 0..lost {
                book.record.error("lost");
            }
            Row::from_record("messages (push)", &book.record, Some(phase.elapsed))
        }
        Err(_) => Row::skipped("messages (push)", "push book poisoned"),
    };
    push.note = format!("{tasks} recipient sockets; send -> message.created");
    let push_p99 = match push.p99_ms {
        Some(p99) => format!("push p99 {p99:.1} ms"),
        None => "no push arrived".to_owned(),
    };
    append_note(&mut post, &push_p99);
    vec![post, push]
}

async fn read_pushes(mut socket: Socket, book: Arc<Mutex<PushBook>>) {
    while let Some(frame) = socket.next().await {
        let arrived = Instant::now();
        let Ok(Message::Text(text)) = frame else {
            if frame.is_err() {
                break;
            }
            continue;
        };
        let Ok(value) = serde_json::from_str::<Value>(text.as_str()) else {
            continue;
        };
        if value.get("type").and_then(Value::as_str) != Some("message.created") {
            continue;
        }
        let Some(body) = value.pointer("/data/message/body").and_then(Value::as_str) else {
            continue;
        };
        if let Ok(mut book) = book.lock()
            && let Some((sent, measured)) = book.sent.remove(body)
            && measured
        {
            book.record.ok(arrived - sent);
        }
    }
}

/// Opens `--ws` sockets, holds them `--ws-hold`, and reports the server's
/// RSS with them open.
pub async fn idle_ws(ctx: &Context, seed: &Seed) -> Vec<Row> {
    let wanted = ctx.cli.ws as usize;
    match rlimit::increase_nofile_limit(wanted as u64 + 1024) {
        Ok(limit) if limit < wanted as u64 + 64 => eprintln!(
            "idle-ws: this process may open only {limit} files; raise `ulimit -n` for {wanted} sockets"
        ),
        Ok(_) => {}
        Err(err) => eprintln!("idle-ws: cannot raise the open-file limit: {err}"),
    }
    let api = &ctx.api;
    // One probe first: a missing route is a clean "unsupported".
    let probe = match open_socket(api, &seed.providers[0].access_token).await {
        Ok(socket) => socket,
        Err(err) => {
            return vec![socket_refused("idle-ws", "a socket", &err)];
        }
    };
    drop(probe);
    tokio::time::sleep(Duration::from_millis(200)).await;

    let before = ctx.rss();
    let tokens = tokens(&seed.providers);
    let started = Instant::now();
    let give_up = started + Duration::from_secs(120);
    let results: Vec<(Result<Socket, String>, Duration)> = stream::iter(0..wanted)
        .map(|n| {
            let token = tokens[n % tokens.len()].clone();
            async move {
                let at = Instant::now();
                let result = tokio::time::timeout_at(give_up, open_socket(api, &token))
                    .await
                    .map_err(|_| "timeout".to_owned())
                    .and_then(|r| r.map_err(|e| ws_error_kind(&e)));
                (result, at.elapsed())
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let opening = started.elapsed();
    let mut record = Recorder::new();
    let mut held = JoinSet::new();
    for (result, latency) in results {
        match result {
            Ok(socket) => {
                record.ok(latency);
                held.spawn(drain(socket));
            }
            Err(kind) => record.error(kind),
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let open_rss = ctx.rss();
    let meter = ctx.meter();
    tokio::time::sleep(ctx.cli.ws_hold).await;
    let after = ctx.rss();
    let open = held.len();
    held.abort_all();
    while held.join_next().await.is_some() {}

    let mut row = Row::from_record("idle-ws (connect)", &record, Some(opening));
    (row.server_cores, row.loadgen_cores) = meter.stop();
    row.rss_before_kib = before;
    row.rss_after_kib = after;
    row.note = format!(
        "{open} sockets held {:.0} s; RSS {} once open (target < 150 MB at 5,000)",
        ctx.cli.ws_hold.as_secs_f64(),
        crate::report::format_rss(open_rss)
    );
    vec![row]
}

/// Reads (and so answers pings on) an idle socket until it closes.
async fn drain(mut socket: Socket) {
    while let Some(frame) = socket.next().await {
        if frame.is_err() {
            break;
        }
    }
    let _ = socket.close(None).await;
}

/// Logouts whose login has an open socket: the time from sending the
/// logout to the socket's close frame (4401), one login at a time.
pub async fn session_end(ctx: &Context, seed: &Seed) -> Vec<Row> {
    const ROUNDS: usize = 30;
    let api = &ctx.api;
    let mut record = Recorder::new();
    for round in 0..ROUNDS {
        let Some(user) = seed.providers.get(round % seed.providers.len().max(1)) else {
            return vec![Row::skipped("session-end", "no provider was seeded")];
        };
        let body = json!({"email": user.email, "password": PASSWORD});
        let login = match api
            .post_expect("/api/v1/auth/login", None, &body, &[StatusCode::OK])
            .await
        {
            Ok(login) => login,
            Err(err) => {
                record.error(err.to_string());
                continue;
            }
        };
        let (Some(access), Some(refresh)) = (
            login["access_token"].as_str(),
            login["refresh_token"].as_str(),
        ) else {
            record.error("no tokens");
            continue;
        };
        let mut socket = match open_socket(api, access).await {
            Ok(socket) => socket,
            Err(err) => {
                record.error(ws_error_kind(&err));
                continue;
            }
        };
        let sent = Instant::now();
        let logout = api
            .post(
                "/api/v1/auth/logout",
                None,
                &json!({"refresh_token": refresh}),
            )
            .await;
        if !matches!(logout, Ok((StatusCode::NO_CONTENT, _))) {
            record.error("logout");
            continue;
        }
        let closed = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(frame) = socket.next().await {
                if let Ok(Message::Close(close)) = frame {
                    return close.map(|c| u16::from(c.code));
                }
            }
            None
        })
        .await;
        match closed {
            Ok(Some(4401)) => record.ok(sent.elapsed()),
            Ok(other) => record.error(format!("closed with {other:?}")),
            Err(_) => record.error("not closed within 10 s"),
        }
    }
    let mut row = Row::from_record("session-end: logout to socket close", &record, None);
    row.note = "one instance; target < 1 s (the two-instance path through Redis is tested in CI)"
        .to_owned();
    vec![row]
}
