//! The browser entry point: checks for WebGPU before anything else, so that a browser without it
//! gets a clear page saying how to get it instead of a blank canvas, then starts the eframe app
//! on the page's canvas.

use crate::app::{missing_webgpu, LaunchOptions, PlaygroundApp, WEBGPU_HELP};
use wasm_bindgen::JsCast;

/// Starts the web app (called from `main` in the wasm build).
pub fn start() {
    eframe::WebLogger::init(log::LevelFilter::Info).ok();
    wasm_bindgen_futures::spawn_local(async {
        if let Err(problem) = webgpu_adapter().await {
            show_problem(&problem);
            return;
        }
        let Some(canvas) = element("ire_canvas").and_then(|e| e.dyn_into().ok()) else {
            show_problem("The page has no canvas with id 'ire_canvas'.");
            return;
        };
        let options = eframe::WebOptions {
            wgpu_options: PlaygroundApp::wgpu_options(),
            ..Default::default()
        };
        let runner = eframe::WebRunner::new();
        let started = runner
            .start(
                canvas,
                options,
                Box::new(|cc| {
                    // The browser keeps runs in its own storage for the page (OPFS).
                    let launch = LaunchOptions {
                        keep_runs: Some(Default::default()),
                        ..Default::default()
                    };
                    Ok(Box::new(PlaygroundApp::new(cc, launch)))
                }),
            )
            .await;
        match started {
            Ok(()) => {
                if let Some(loading) = element("loading") {
                    loading.remove();
                }
                keep_while_hidden(runner);
            }
            Err(e) => show_problem(&format!("The app could not start: {e:?}. {WEBGPU_HELP}")),
        }
    });
}

/// While the page is hidden the browser draws no frames, so nothing would collect the runs'
/// results or save them; a timer does it then (browsers run a hidden page's timers about once a
/// second), so what trained since the last save is kept before the tab is closed or discarded.
fn keep_while_hidden(runner: eframe::WebRunner) {
    use wasm_bindgen::closure::Closure;
    let Some(window) = web_sys::window() else {
        return;
    };
    let tick = Closure::<dyn FnMut()>::new(move || {
        // A visible page draws frames, which do all this.
        let hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden());
        if !hidden {
            return;
        }
        if let Some(mut app) = runner.app_mut::<PlaygroundApp>() {
            app.keep_while_hidden();
        }
    });
    let every_ms = 250;
    let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
        tick.as_ref().unchecked_ref(),
        every_ms,
    );
    // The page keeps it for its whole life.
    tick.forget();
}

/// Whether the browser exposes a WebGPU adapter at all.
async fn webgpu_adapter() -> Result<(), String> {
    let window = web_sys::window().ok_or("No window.")?;
    let navigator = window.navigator();
    let has_gpu = js_sys::Reflect::get(&navigator, &"gpu".into())
        .map(|gpu| !gpu.is_undefined() && !gpu.is_null())
        .unwrap_or(false);
    if !has_gpu {
        let secure = js_sys::Reflect::get(&window, &"isSecureContext".into())
            .map(|v| v.as_bool() != Some(false))
            .unwrap_or(true);
        let origin = window.location().origin().unwrap_or_default();
        return Err(missing_webgpu(secure, &origin));
    }
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::BROWSER_WEBGPU,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    instance
        .request_adapter(&wgpu::RequestAdapterOptions::default())
        .await
        .map(|_| ())
        .map_err(|_| {
            format!(
                "WebGPU is present but offers no adapter (blocked GPU or driver). {WEBGPU_HELP}"
            )
        })
}

fn element(id: &str) -> Option<web_sys::Element> {
    web_sys::window()?.document()?.get_element_by_id(id)
}

fn show_problem(text: &str) {
    log::error!("{text}");
    if let Some(loading) = element("loading") {
        loading.remove();
    }
    if let Some(el) = element("problem") {
        el.set_text_content(Some(text));
        let _ = el.set_attribute("style", "display:block");
    }
    if let Some(canvas) = element("ire_canvas") {
        let _ = canvas.set_attribute("style", "display:none");
    }
}
