//! `/screens`: the TVs of the workspace and the playlists they can show. **Add
//! screen** claims a TV by the code on it; each screen's row says whether it is
//! online, when it was last seen, its resolution and version, and changes what it
//! shows (at once, live), reloads it or unpairs it. Playlists are ordered dashboards,
//! each with its time on screen and how it comes in.

use crate::api::{
    create_playlist_share, delete_playlist, list_dashboards, list_playlist_shares, list_playlists,
    list_screens, pair_screen, reload_screen, revoke_playlist_share, save_playlist, unpair_screen,
    update_screen, who_am_i, DashboardSummary, PlaylistSummary, ScreenSettings, ScreenSummary,
};
use crate::auth::Role;
use crate::components::{clock, ErrorPanel};
use crate::model::{
    DashboardId, Fit, Playlist, PlaylistId, Shows, Slide, Transition as SlideTransition,
    MAX_SLIDE_SECONDS, MIN_SLIDE_SECONDS,
};
use leptos::prelude::*;
use leptos_meta::Title;

/// What a "shows" `<select>` holds for `shows`: `d:<id>`, `p:<id>` or empty.
fn shows_value(shows: &Shows) -> String {
    match shows {
        Shows::Nothing => String::new(),
        Shows::Dashboard(id) => format!("d:{id}"),
        Shows::Playlist(id) => format!("p:{id}"),
    }
}

fn shows_of(value: &str) -> Shows {
    if let Some(id) = value
        .strip_prefix("d:")
        .and_then(|raw| DashboardId::parse(raw).ok())
    {
        Shows::Dashboard(id)
    } else if let Some(id) = value
        .strip_prefix("p:")
        .and_then(|raw| PlaylistId::parse(raw).ok())
    {
        Shows::Playlist(id)
    } else {
        Shows::Nothing
    }
}

/// The options of a "shows" `<select>`: nothing, every dashboard, every playlist.
fn shows_options(
    dashboards: &[DashboardSummary],
    playlists: &[PlaylistSummary],
    selected: &Shows,
) -> impl IntoView {
    let chosen = shows_value(selected);
    let is = move |v: &str| v == chosen;
    let dashboards = dashboards
        .iter()
        .map(|d| {
            let v = format!("d:{}", d.id);
            view! { <option value=v.clone() selected=is(&v)>{d.name.clone()}</option> }
        })
        .collect_view();
    let playlists = playlists
        .iter()
        .map(|p| {
            let v = format!("p:{}", p.id);
            view! { <option value=v.clone() selected=is(&v)>{format!("{} (playlist)", p.playlist.name)}</option> }
        })
        .collect_view();
    view! {
        <option value="" selected=is("")>"nothing yet"</option>
        <optgroup label="Dashboards">{dashboards}</optgroup>
        <optgroup label="Playlists">{playlists}</optgroup>
    }
}

fn fit_options(selected: Fit) -> impl IntoView {
    Fit::ALL
        .into_iter()
        .map(|f| view! { <option value=f.as_str() selected=f == selected>{f.label()}</option> })
        .collect_view()
}

fn seen(screen: &ScreenSummary) -> String {
    match (screen.online, screen.last_seen_ms) {
        (true, _) => "online".into(),
        (false, Some(at)) => format!("offline, last seen {}", clock(at)),
        (false, None) => "offline, never connected".into(),
    }
}

#[component]
pub fn ScreensPage() -> impl IntoView {
    let screens = Resource::new(|| (), |_| list_screens());
    let playlists = Resource::new(|| (), |_| list_playlists());
    let dashboards = Resource::new(|| (), |_| list_dashboards());
    let me = Resource::new(|| (), |_| who_am_i());
    let problem = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<(Option<PlaylistId>, Playlist)>);
    // Refresh the list every 10 s: online and last-seen change by themselves.
    #[cfg(feature = "hydrate")]
    {
        // Not while someone is using a control in the list: its row would be redrawn.
        let busy = || {
            document()
                .active_element()
                .is_some_and(|el| el.closest("[data-testid=screens]").ok().flatten().is_some())
        };
        if let Ok(handle) = set_interval_with_handle(
            move || {
                if !busy() {
                    screens.refetch();
                }
            },
            std::time::Duration::from_secs(10),
        ) {
            on_cleanup(move || handle.clear());
        }
    }
    let act = move |work: std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<(), crate::error::AppError>>>,
    >| {
        problem.set(None);
        leptos::task::spawn_local(async move {
            match work.await {
                Ok(()) => {
                    screens.refetch();
                    playlists.refetch();
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <Title text="Screens · Wallboard" />
        <main class="home screens-page">
            <header class="home-bar">
                <h1><a class="brand" href="/">"Wallboard"</a>" · Screens"</h1>
            </header>
            {move || problem.get().map(|p| view! { <p class="problem" role="alert" data-testid="screens-problem">{p}</p> })}
            // The form is drawn apart from the list, which redraws every 10 s.
            <Transition>
                {move || Suspend::new(async move {
                    let editor = me.await.is_ok_and(|m| m.role >= Role::Editor);
                    let all_dashboards = dashboards.await.unwrap_or_default();
                    let all_playlists = playlists.await.unwrap_or_default();
                    editor.then(|| view! {
                        <AddScreen dashboards=all_dashboards playlists=all_playlists
                            added=Callback::new(move |()| screens.refetch()) />
                    })
                })}
            </Transition>
            <Transition>
                {move || Suspend::new(async move {
                    let editor = me.await.is_ok_and(|m| m.role >= Role::Editor);
                    let all_dashboards = dashboards.await.unwrap_or_default();
                    let all_playlists = playlists.await.unwrap_or_default();
                    let listed = screens.await;
                    let table = match listed {
                        Ok(items) if items.is_empty() => view! {
                            <p class="empty" data-testid="no-screens">
                                "No screens yet. Open "<code>"/tv"</code>" on a TV's browser: it shows a code to type under Add screen."
                            </p>
                        }.into_any(),
                        Ok(items) => {
                            let rows = items.into_iter().map(|s| {
                                let (d, p) = (all_dashboards.clone(), all_playlists.clone());
                                let id = s.id.clone();
                                let name = RwSignal::new(s.name.clone());
                                let shows = RwSignal::new(s.shows.clone());
                                let fit = RwSignal::new(s.fit);
                                let save = {
                                    let id = id.clone();
                                    move || {
                                        let id = id.clone();
                                        let settings = ScreenSettings {
                                            name: name.get_untracked(),
                                            shows: shows.get_untracked(),
                                            fit: fit.get_untracked(),
                                        };
                                        act(Box::pin(async move { update_screen(id, settings).await }));
                                    }
                                };
                                let (save_name, save_shows, save_fit) = (save.clone(), save.clone(), save);
                                let (reload_id, unpair_id, unpair_name) = (id.clone(), id.clone(), s.name.clone());
                                let unpair = move |_| {
                                    let sure = window()
                                        .confirm_with_message(&format!(
                                            "Unpair \u{201c}{unpair_name}\u{201d}? It goes back to showing a pairing code."
                                        ))
                                        .unwrap_or(false);
                                    if sure {
                                        let id = unpair_id.clone();
                                        act(Box::pin(async move { unpair_screen(id).await }));
                                    }
                                };
                                let label = s.name.clone();
                                view! {
                                    <tr data-testid="screen-row" data-screen=s.id.to_string() data-online=s.online.to_string()>
                                        <th scope="row">
                                            <input class="screen-name" aria-label="Screen name" data-testid="screen-name"
                                                prop:value=move || name.get() disabled=!editor
                                                on:change=move |ev| { name.set(event_target_value(&ev)); save_name(); } />
                                        </th>
                                        <td>
                                            <select aria-label=format!("What {label} shows") data-testid="screen-shows" disabled=!editor
                                                on:change=move |ev| { shows.set(shows_of(&event_target_value(&ev))); save_shows(); }>
                                                {shows_options(&d, &p, &s.shows)}
                                            </select>
                                        </td>
                                        <td>
                                            <select aria-label=format!("How {} fits", s.name) data-testid="screen-fit" disabled=!editor
                                                on:change=move |ev| { fit.set(Fit::parse(&event_target_value(&ev)).unwrap_or_default()); save_fit(); }>
                                                {fit_options(s.fit)}
                                            </select>
                                        </td>
                                        <td data-testid="screen-seen">
                                            <span class=if s.online { "dot online" } else { "dot" } aria-hidden="true"></span>
                                            {seen(&s)}
                                        </td>
                                        <td>{s.resolution.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td>{s.app_version.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td class="actions">
                                            {editor.then(|| view! {
                                                <button class="small" data-testid="screen-reload"
                                                    aria-label=format!("Reload {}", s.name)
                                                    on:click=move |_| { let id = reload_id.clone(); act(Box::pin(async move { reload_screen(id).await })); }>
                                                    "Reload"
                                                </button>
                                                <button class="small danger" data-testid="screen-unpair"
                                                    aria-label=format!("Unpair {}", s.name) on:click=unpair>"Unpair"</button>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view();
                            view! {
                                <table class="catalogue" data-testid="screens">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Screen"</th>
                                            <th scope="col">"Shows"</th>
                                            <th scope="col">"Fit"</th>
                                            <th scope="col">"Status"</th>
                                            <th scope="col">"Resolution"</th>
                                            <th scope="col">"Version"</th>
                                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                        </tr>
                                    </thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    };
                    table
                })}
            </Transition>
            <h2>"Playlists"</h2>
            <Transition>
                {move || Suspend::new(async move {
                    let editor = me.await.is_ok_and(|m| m.role >= Role::Editor);
                    let names: Vec<DashboardSummary> = dashboards.await.unwrap_or_default();
                    let items = match playlists.await {
                        Ok(items) => items,
                        Err(error) => return view! { <ErrorPanel error /> }.into_any(),
                    };
                    let named = move |id: &DashboardId| {
                        names.iter().find(|d| &d.id == id).map(|d| d.name.clone()).unwrap_or_else(|| "(deleted)".into())
                    };
                    let rows = items.into_iter().map(|p| {
                        let summary = p.playlist.slides.iter()
                            .map(|s| format!("{} {} s", named(&s.dashboard), s.seconds))
                            .collect::<Vec<_>>()
                            .join(" → ");
                        let (edit_doc, edit_id, del_id, del_name) = (p.playlist.clone(), p.id.clone(), p.id.clone(), p.playlist.name.clone());
                        let share_id = p.id.clone();
                        let remove = move |_| {
                            let sure = window()
                                .confirm_with_message(&format!(
                                    "Delete the playlist \u{201c}{del_name}\u{201d}? Screens showing it show nothing until given something else."
                                ))
                                .unwrap_or(false);
                            if sure {
                                let id = del_id.clone();
                                act(Box::pin(async move { delete_playlist(id).await }));
                            }
                        };
                        view! {
                            <tr data-testid="playlist-row">
                                <th scope="row">{p.playlist.name.clone()}</th>
                                <td>{summary}</td>
                                <td class="actions">
                                    {editor.then(|| view! { <PlaylistShares id=share_id.clone() /> })}
                                    {editor.then(|| view! {
                                        <button class="small" data-testid="playlist-edit"
                                            on:click=move |_| editing.set(Some((Some(edit_id.clone()), edit_doc.clone())))>"Edit"</button>
                                        <button class="small danger" data-testid="playlist-delete" on:click=remove>"Delete"</button>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view();
                    view! {
                        <table class="catalogue" data-testid="playlists"><tbody>{rows}</tbody></table>
                        {editor.then(|| view! {
                            <button data-testid="new-playlist" on:click=move |_| editing.set(Some((None, Playlist { name: String::new(), slides: Vec::new() })))>
                                "New playlist…"
                            </button>
                        })}
                    }.into_any()
                })}
            </Transition>
            {move || editing.get().map(|(id, playlist)| view! {
                <Suspense>
                    {move || {
                        let (id, playlist) = (id.clone(), playlist.clone());
                        Suspend::new(async move {
                            let all = dashboards.await.unwrap_or_default();
                            view! {
                                <PlaylistEditor id playlist dashboards=all
                                    saved=Callback::new(move |()| { editing.set(None); playlists.refetch(); screens.refetch(); })
                                    close=Callback::new(move |()| editing.set(None)) />
                            }
                        })
                    }}
                </Suspense>
            })}
        </main>
    }
}

/// A playlist's share links: a new one shows its address once; each live one can be
/// revoked (its open pages stop at once).
#[component]
fn PlaylistShares(id: PlaylistId) -> impl IntoView {
    let list = {
        let id = id.clone();
        Resource::new(|| (), move |_| list_playlist_shares(id.clone()))
    };
    let made = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let create = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            leptos::task::spawn_local(async move {
                match create_playlist_share(id).await {
                    Ok(link) => {
                        let origin = window().location().origin().unwrap_or_default();
                        made.set(Some(format!("{origin}{}", link.view_path())));
                        list.refetch();
                    }
                    Err(e) => problem.set(Some(e.to_string())),
                }
            });
        }
    };
    let id = StoredValue::new(id);
    view! {
        <div class="playlist-shares">
            <button class="small" data-testid="playlist-share" on:click=create>"New share link"</button>
            {move || made.get().map(|url| view! {
                <p class="hint">"Shown once: " <a href=url.clone() target="_blank" data-testid="playlist-share-url">{url.clone()}</a></p>
            })}
            {move || problem.get().map(|p| view! { <p class="problem" role="alert">{p}</p> })}
            <Transition>
                {move || Suspend::new(async move {
                    list.await.unwrap_or_default().into_iter().map(|link| {
                        let link_id = link.id.clone();
                        let revoke = move |_| {
                            let (id, link) = (id.get_value(), link_id.clone());
                            leptos::task::spawn_local(async move {
                                match revoke_playlist_share(id, link).await {
                                    Ok(()) => list.refetch(),
                                    Err(e) => problem.set(Some(e.to_string())),
                                }
                            });
                        };
                        view! {
                            <span class="share-chip" data-testid="playlist-share-link">
                                {format!("link of {} · {} views", clock(link.created_at_ms), link.views)}
                                <button class="small danger" aria-label="Revoke this share link" data-testid="playlist-share-revoke" on:click=revoke>"Revoke"</button>
                            </span>
                        }
                    }).collect_view()
                })}
            </Transition>
        </div>
    }
}

/// The form that claims a TV by its code.
#[component]
fn AddScreen(
    dashboards: Vec<DashboardSummary>,
    playlists: Vec<PlaylistSummary>,
    added: Callback<()>,
) -> impl IntoView {
    let code = NodeRef::<leptos::html::Input>::new();
    let name = NodeRef::<leptos::html::Input>::new();
    let shows = NodeRef::<leptos::html::Select>::new();
    let fit = NodeRef::<leptos::html::Select>::new();
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = |n: NodeRef<leptos::html::Input>| {
            n.get_untracked().map(|i| i.value()).unwrap_or_default()
        };
        let chosen = |n: NodeRef<leptos::html::Select>| {
            n.get_untracked().map(|s| s.value()).unwrap_or_default()
        };
        let settings = ScreenSettings {
            name: value(name),
            shows: shows_of(&chosen(shows)),
            fit: Fit::parse(&chosen(fit)).unwrap_or_default(),
        };
        let typed = value(code);
        busy.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            match pair_screen(typed, settings).await {
                Ok(_) => {
                    if let Some(input) = code.get_untracked() {
                        input.set_value("");
                    }
                    if let Some(input) = name.get_untracked() {
                        input.set_value("");
                    }
                    added.run(());
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="add-screen" data-testid="add-screen" on:submit=submit>
            <h2>"Add screen"</h2>
            <label>"Code on the screen " <input node_ref=code data-testid="pair-code" required maxlength="16" autocomplete="off" placeholder="ABC DEF" /></label>
            <label>"Name " <input node_ref=name data-testid="pair-name" required maxlength="80" placeholder="Lobby TV" /></label>
            <label>"Shows " <select node_ref=shows data-testid="pair-shows">{shows_options(&dashboards, &playlists, &Shows::Nothing)}</select></label>
            <label>"Fit " <select node_ref=fit data-testid="pair-fit">{fit_options(Fit::Letterbox)}</select></label>
            <button type="submit" class="primary" data-testid="pair-go" disabled=move || busy.get()>"Add screen"</button>
            {move || problem.get().map(|p| view! { <p class="problem" role="alert" data-testid="pair-problem">{p}</p> })}
        </form>
    }
}

/// A change to the list of slides.
type SlidesEdit = Box<dyn FnOnce(&mut Vec<Slide>)>;

/// The dialog that makes or changes a playlist.
#[component]
fn PlaylistEditor(
    id: Option<PlaylistId>,
    playlist: Playlist,
    dashboards: Vec<DashboardSummary>,
    saved: Callback<()>,
    close: Callback<()>,
) -> impl IntoView {
    let name = RwSignal::new(playlist.name.clone());
    let slides = RwSignal::new(playlist.slides.clone());
    // Moves when slides are added, removed or reordered: only then are the rows drawn
    // again (a value typed in a row must not redraw the others under the cursor).
    let shape = RwSignal::new(0u32);
    let reshape = move |f: SlidesEdit| {
        slides.update(|all| f(all));
        shape.update(|n| *n += 1);
    };
    let problem = RwSignal::new(None::<String>);
    let first = dashboards.first().map(|d| d.id.clone());
    let add = move |_| {
        if let Some(dashboard) = first.clone() {
            reshape(Box::new(move |all| {
                all.push(Slide {
                    dashboard,
                    seconds: 30,
                    transition: SlideTransition::Fade,
                })
            }));
        }
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let playlist = Playlist {
            name: name.get_untracked(),
            slides: slides.get_untracked(),
        };
        let id = id.clone();
        problem.set(None);
        leptos::task::spawn_local(async move {
            match save_playlist(id, playlist).await {
                Ok(_) => saved.run(()),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let dashboards = StoredValue::new(dashboards);
    let rows = move || {
        shape.track();
        let count = slides.with_untracked(Vec::len);
        (0..count)
            .map(|i| {
                let slide = slides.with_untracked(|all| all[i].clone());
                let set = move |f: Box<dyn Fn(&mut Slide)>| {
                    slides.update(|all| {
                        if let Some(s) = all.get_mut(i) {
                            f(s)
                        }
                    })
                };
                let options = dashboards.with_value(|all| {
                    all.iter()
                        .map(|d| view! { <option value=d.id.to_string() selected=d.id == slide.dashboard>{d.name.clone()}</option> })
                        .collect_view()
                });
                view! {
                    <li data-testid="slide">
                        <select aria-label=format!("Dashboard {}", i + 1) data-testid="slide-dashboard"
                            on:change=move |ev| {
                                if let Ok(id) = DashboardId::parse(event_target_value(&ev)) {
                                    set(Box::new(move |s| s.dashboard = id.clone()));
                                }
                            }>{options}</select>
                        <input type="number" aria-label=format!("Seconds for dashboard {}", i + 1) data-testid="slide-seconds"
                            min=MIN_SLIDE_SECONDS max=MAX_SLIDE_SECONDS prop:value=slide.seconds.to_string()
                            on:input=move |ev| {
                                let seconds = event_target_value(&ev).trim().parse().unwrap_or(0);
                                set(Box::new(move |s| s.seconds = seconds));
                            } />
                        " s "
                        <select aria-label=format!("Transition into dashboard {}", i + 1) data-testid="slide-transition"
                            on:change=move |ev| {
                                let fade = event_target_value(&ev) == "fade";
                                set(Box::new(move |s| s.transition = if fade { SlideTransition::Fade } else { SlideTransition::Cut }));
                            }>
                            <option value="fade" selected=slide.transition == SlideTransition::Fade>"fade"</option>
                            <option value="cut" selected=slide.transition == SlideTransition::Cut>"cut"</option>
                        </select>
                        <button type="button" class="small" aria-label=format!("Move dashboard {} up", i + 1) disabled=i == 0
                            on:click=move |_| reshape(Box::new(move |all| all.swap(i - 1, i)))>"↑"</button>
                        <button type="button" class="small" aria-label=format!("Move dashboard {} down", i + 1) disabled=i + 1 == count
                            on:click=move |_| reshape(Box::new(move |all| all.swap(i, i + 1)))>"↓"</button>
                        <button type="button" class="small danger" aria-label=format!("Remove dashboard {}", i + 1)
                            on:click=move |_| reshape(Box::new(move |all| { all.remove(i); }))>"Remove"</button>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <div class="connect-backdrop">
            <form class="connect playlist-editor" role="dialog" aria-label="Playlist" data-testid="playlist-editor" on:submit=save>
                <h2>"Playlist"</h2>
                <label>"Name " <input data-testid="playlist-name" required maxlength="80" prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev)) /></label>
                <p class="hint">{format!("Each dashboard stays {MIN_SLIDE_SECONDS} s to 1 hour; the list loops. The next one is loaded and live before it shows.")}</p>
                <ol class="slides">{rows}</ol>
                <button type="button" data-testid="add-slide" on:click=add>"Add dashboard"</button>
                {move || problem.get().map(|p| view! { <p class="problem" role="alert" data-testid="playlist-problem">{p}</p> })}
                <div class="dialog-actions">
                    <button type="button" on:click=move |_| close.run(())>"Cancel"</button>
                    <button type="submit" class="primary" data-testid="playlist-save">"Save playlist"</button>
                </div>
            </form>
        </div>
    }
}
