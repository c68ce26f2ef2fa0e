//! The `wallboard` binary: reads the configuration, starts the server, and exits when
//! it has shut down. Maintenance commands: `wallboard new-key` prints a fresh
//! credentials key; `wallboard rotate-credentials` re-seals every stored credential
//! with `WALLBOARD_SECRET_KEY` (the old key listed in `WALLBOARD_SECRET_KEY_OLD`);
//! `wallboard create-admin EMAIL` makes the first administrator (password from
//! `WALLBOARD_ADMIN_PASSWORD` or the first line of standard input), as the setup page
//! does; `wallboard reset-password EMAIL` prints a one-time link that sets a new
//! password.
//! The server also starts this binary as `wallboard jq-worker <bytes>` to run jq steps
//! in a bounded child process (see `sandbox`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some(wallboard_server::sandbox::WORKER_COMMAND) {
        // Before any runtime or thread starts: the worker bounds itself first.
        return wallboard_server::sandbox::worker_main(args.next().as_deref());
    }
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(serve()),
        Err(err) => {
            eprintln!("wallboard: cannot start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> ExitCode {
    let _ = dotenvy::dotenv();
    let config = match wallboard_server::config::Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("wallboard: configuration: {err}");
            return ExitCode::from(2);
        }
    };
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => {}
        Some("new-key") => {
            println!("{}", wallboard_server::sources::vault::Vault::new_key());
            return ExitCode::SUCCESS;
        }
        Some("rotate-credentials") => return rotate(&config).await,
        Some(command @ ("create-admin" | "reset-password")) => {
            let Some(email) = std::env::args().nth(2) else {
                eprintln!(
                    "wallboard {command}: give the account's email: wallboard {command} EMAIL"
                );
                return ExitCode::from(2);
            };
            return account(&config, command, &email).await;
        }
        Some(other) => {
            eprintln!(
                "wallboard: unknown command '{other}' (serve, new-key, rotate-credentials, \
                 create-admin, reset-password)"
            );
            return ExitCode::from(2);
        }
    }
    wallboard_server::telemetry::init(&config);
    match wallboard_server::startup::Application::build(config).await {
        Ok(app) => match app.run_until_stopped().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                tracing::error!(error = %err, "server stopped with an error");
                ExitCode::FAILURE
            }
        },
        Err(err) => {
            tracing::error!(error = %err, "could not start");
            ExitCode::FAILURE
        }
    }
}

async fn rotate(config: &wallboard_server::config::Config) -> ExitCode {
    let outcome = async {
        let storage = wallboard_server::storage::Storage::connect(config.database_url.expose())
            .await
            .map_err(|e| format!("storage: {e}"))?;
        let vault =
            wallboard_server::startup::vault(config, &storage).map_err(|e| e.to_string())?;
        wallboard_server::sources::vault::reseal_stored(&storage, &vault).await
    }
    .await;
    match outcome {
        Ok(n) => {
            println!("re-sealed the credentials of {n} source(s) with the current key");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("wallboard rotate-credentials: {err}");
            ExitCode::FAILURE
        }
    }
}

/// `create-admin EMAIL` and `reset-password EMAIL`.
async fn account(
    config: &wallboard_server::config::Config,
    command: &str,
    email: &str,
) -> ExitCode {
    use wallboard_server::auth;
    let outcome = async {
        let storage = wallboard_server::storage::Storage::connect(config.database_url.expose())
            .await
            .map_err(|e| format!("storage: {e}"))?;
        if command == "reset-password" {
            let base = config
                .public_url()
                .unwrap_or_else(|| format!("http://{}", config.addr));
            let link = auth::reset_link(&storage, email, &base).await?;
            return Ok(format!(
                "{link}\n(works once, for {} hours)",
                auth::RESET_MS / 3_600_000
            ));
        }
        let password = match std::env::var("WALLBOARD_ADMIN_PASSWORD") {
            Ok(password) => password,
            Err(_) => {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
                line.trim_end_matches(['\r', '\n']).to_string()
            }
        };
        auth::create_first_admin(&storage, email, "", &password)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(format!(
            "{email} is the administrator and owns the workspace 'Main'"
        ))
    }
    .await;
    match outcome {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("wallboard {command}: {err}");
            ExitCode::FAILURE
        }
    }
}
