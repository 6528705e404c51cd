//! The GPU device the app trains on: eframe's own (opened with the adapter's limits), checked
//! for compute shaders, and replaced by a fresh one after a device loss.

use super::{PlaygroundApp, WEBGPU_HELP};
use crate::gpu::GpuContext;
use eframe::egui_wgpu;
use std::sync::Arc;

impl PlaygroundApp {
    /// eframe's wgpu configuration: the adapter's own limits, so that compute shaders are
    /// allowed (egui's defaults for GL allow none) and large models fit.
    pub fn wgpu_options() -> egui_wgpu::WgpuConfiguration {
        let mut setup = egui_wgpu::WgpuSetupCreateNew::without_display_handle();
        setup.device_descriptor = Arc::new(|adapter: &wgpu::Adapter| wgpu::DeviceDescriptor {
            label: Some("ire-playground (egui + training)"),
            required_limits: adapter.limits(),
            // Subgroup operations when the adapter has them: the CPU-adapter matmul uses them.
            required_features: adapter.features() & wgpu::Features::SUBGROUP,
            ..Default::default()
        });
        egui_wgpu::WgpuConfiguration {
            wgpu_setup: egui_wgpu::WgpuSetup::CreateNew(setup),
            ..Default::default()
        }
    }

    /// Replaces a lost device once a fresh one has arrived.
    pub(super) fn adopt_fresh_device(&mut self) {
        let arrived = self.fresh_ctx.borrow_mut().take();
        match arrived {
            Some(Ok(ctx)) => {
                self.notices.push(
                    false,
                    format!("training on a fresh device: {}", ctx.adapter),
                );
                self.ctx = Some(ctx);
                self.gpu_problem = None;
                // The runs continue from their last save when they were kept (the lost
                // device's session is dropped: its buffers are gone).
                // The lost device's session, and any save of it, go without a last save.
                self.session = None;
                if let Some(k) = &mut self.keeper {
                    k.drop_device_work();
                }
                let kept = self
                    .keeper
                    .as_ref()
                    .filter(|k| k.current.generation > 0)
                    .map(|k| k.current.id.clone());
                match kept {
                    Some(id) => self.continue_kept(&id),
                    None => self.reset(),
                }
            }
            Some(Err(e)) => self.gpu_problem = Some(format!("no fresh GPU device: {e}")),
            None => {}
        }
    }
}

/// eframe's device as the engine's context, or why it cannot train (no compute shaders).
pub(super) fn adopt_device(cc: &eframe::CreationContext<'_>) -> Result<GpuContext, String> {
    let rs = cc
        .wgpu_render_state
        .as_ref()
        .ok_or("eframe started without its wgpu renderer")?;
    let info = rs.adapter.get_info();
    let compute = rs
        .adapter
        .get_downlevel_capabilities()
        .flags
        .contains(wgpu::DownlevelFlags::COMPUTE_SHADERS);
    if !compute || info.backend == wgpu::Backend::Gl {
        return Err(format!(
            "No compute shaders on '{}' ({:?}). {WEBGPU_HELP}",
            info.name, info.backend
        ));
    }
    training_context(rs, &info).map_err(|e| e.to_string())
}

/// On the desktop, a device of its own on eframe's adapter, whose queue a thread of its own
/// drives: a CPU adapter runs a step inside `submit`, which on the UI thread (or on a queue the
/// renderer shares) would hold every frame back for a whole step.
#[cfg(not(target_arch = "wasm32"))]
fn training_context(
    rs: &egui_wgpu::RenderState,
    _info: &wgpu::AdapterInfo,
) -> crate::Result<GpuContext> {
    pollster::block_on(GpuContext::from_adapter(&rs.adapter))?.with_submitter_thread()
}

/// In the browser, eframe's device: its queue never blocks the page.
#[cfg(target_arch = "wasm32")]
fn training_context(
    rs: &egui_wgpu::RenderState,
    info: &wgpu::AdapterInfo,
) -> crate::Result<GpuContext> {
    GpuContext::from_device(
        rs.device.clone(),
        rs.queue.clone(),
        info,
        rs.device.limits(),
    )
}
