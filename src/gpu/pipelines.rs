//! Compiles WGSL kernels once per device and hands out ready pipelines with explicit bind group
//! layouts (explicit so that a binding an override constant switches off still has its slot).

use super::binding::{Access, Shader, WgslStruct};
use super::plan::{Dispatch, Op};
use super::tensor::Tensor;
use super::GpuContext;
use std::collections::HashMap;
use std::sync::Mutex;
use wgpu::util::DeviceExt;

/// Helpers every kernel file gets prepended (flat indexing, finiteness test, random numbers).
const COMMON_WGSL: &str = include_str!("../../shaders/common.wgsl");

/// A compiled entry point with its bind group layout.
#[derive(Clone)]
pub struct Kernel {
    name: std::sync::Arc<str>,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    bindings: usize,
}

type CacheKey = (&'static str, &'static str, Vec<(&'static str, u64)>);

/// Per-device cache of shader modules and pipelines.
#[derive(Default)]
pub struct PipelineCache {
    modules: Mutex<HashMap<&'static str, wgpu::ShaderModule>>,
    kernels: Mutex<HashMap<CacheKey, Kernel>>,
    placeholder: std::sync::OnceLock<Tensor>,
}

/// What a dispatch covers.
#[derive(Clone, Copy, Debug)]
pub enum Grid {
    /// This many workgroups along x, y and z.
    Workgroups([u32; 3]),
    /// `n` elements of an elementwise kernel: the kernel visits `run_index(gid, nwg, r)` for
    /// `r < RUN` (shaders/common.wgsl), and the grid covers `n` in runs of
    /// [`GpuContext::elementwise_run`].
    Elements(usize),
}

impl From<[u32; 3]> for Grid {
    fn from(workgroups: [u32; 3]) -> Self {
        Self::Workgroups(workgroups)
    }
}

impl PipelineCache {
    fn module(&self, device: &wgpu::Device, shader: &Shader) -> wgpu::ShaderModule {
        let mut modules = self.modules.lock().unwrap_or_else(|e| e.into_inner());
        modules
            .entry(shader.name)
            .or_insert_with(|| {
                let text = shader.module_source(COMMON_WGSL);
                device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(shader.name),
                    source: wgpu::ShaderSource::Wgsl(text.into()),
                })
            })
            .clone()
    }
}

impl GpuContext {
    /// The pipeline for `entry` in `shader` with the given override constants, compiled on first
    /// use; its bind-group layout comes from the shader's binding declaration.
    pub fn kernel(
        &self,
        shader: &Shader,
        entry: &'static str,
        constants: &[(&'static str, f64)],
    ) -> Kernel {
        let key: CacheKey = (
            shader.name,
            entry,
            constants.iter().map(|(k, v)| (*k, v.to_bits())).collect(),
        );
        if let Some(k) = self
            .pipelines
            .kernels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return k.clone();
        }
        let module = self.pipelines.module(&self.device, shader);
        let entries: Vec<wgpu::BindGroupLayoutEntry> = shader
            .access()
            .enumerate()
            .map(|(i, a)| wgpu::BindGroupLayoutEntry {
                binding: i as u32,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: match a {
                    Access::Uniform => wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    Access::Read | Access::ReadWrite => wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Storage {
                            read_only: a == Access::Read,
                        },
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    Access::Texels => wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: false },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                },
                count: None,
            })
            .collect();
        let layout = self
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(entry),
                entries: &entries,
            });
        let pipeline_layout = self
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(entry),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(entry),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants,
                    zero_initialize_workgroup_memory: false,
                },
                cache: None,
            });
        let kernel = Kernel {
            name: format!("{}:{entry}", shader.name.trim_end_matches(".wgsl")).into(),
            pipeline,
            layout,
            bindings: shader.bindings.len(),
        };
        self.pipelines
            .kernels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, kernel.clone());
        kernel
    }

    /// One ready dispatch of `entry` in `shader`: `params` becomes the uniform at binding 0 and
    /// `tensors` the storage bindings after it, in the order the shader declares them, over
    /// `grid` (workgroups, or an elementwise kernel's elements).
    pub fn launch<U: WgslStruct>(
        &self,
        shader: &Shader,
        entry: &'static str,
        constants: &[(&'static str, f64)],
        params: &U,
        tensors: &[&Tensor],
        grid: impl Into<Grid>,
    ) -> Dispatch {
        let (kernel, workgroups) = match grid.into() {
            Grid::Workgroups(workgroups) => (self.kernel(shader, entry, constants), workgroups),
            Grid::Elements(n) => {
                let with_run = [constants, &[self.run_constant()]].concat();
                let kernel = self.kernel(shader, entry, &with_run);
                (kernel, self.elementwise_grid(n))
            }
        };
        let uniform = self.uniform(params);
        let resources: Vec<wgpu::BindingResource<'_>> =
            std::iter::once(uniform.as_entire_binding())
                .chain(tensors.iter().map(|t| t.binding()))
                .collect();
        let mut dispatch = kernel.dispatch(self, &resources, workgroups);
        dispatch.work.bytes = tensors.iter().map(|t| t.bytes() as f64).sum();
        dispatch
    }

    /// The buffer bound in a slot a kernel must have bound but does not use this time (no
    /// bias, no residual, no position table), one per context instead of one per dispatch.
    /// Several read slots of one dispatch may share it, but a slot the kernel may write must
    /// be its only binding there (WebGPU: a writable binding is exclusive within a dispatch).
    pub fn placeholder(&self) -> Tensor {
        let made = || Tensor::zeros(self, "unused slot", 4);
        self.pipelines.placeholder.get_or_init(made).clone()
    }

    /// The tensor for an optional slot: `tensor`, or the [`placeholder`](Self::placeholder).
    pub fn bound_or_placeholder(&self, tensor: Option<&Tensor>) -> Tensor {
        tensor.cloned().unwrap_or_else(|| self.placeholder())
    }

    /// Elements per invocation for the elementwise kernels (`RUN` in shaders/common.wgsl): 16
    /// on CPU adapters, where each invocation has a fixed start-up cost (A/B on lavapipe,
    /// ResNet-8 step: see docs/BENCHMARKS.md), 1 on GPUs, whose kernels are unchanged.
    pub fn elementwise_run(&self) -> usize {
        if self.kernels == super::KernelFamily::Cpu {
            16
        } else {
            1
        }
    }

    /// The `RUN` pipeline constant of an elementwise kernel (see [`Grid::Elements`]).
    pub fn run_constant(&self) -> (&'static str, f64) {
        ("RUN", self.elementwise_run() as f64)
    }

    /// The grid of an elementwise kernel over `n` elements (see [`Grid::Elements`]).
    pub fn elementwise_grid(&self, n: usize) -> [u32; 3] {
        self.grid_1d(n.div_ceil(self.elementwise_run()))
    }

    /// [`grid_1d`] for this device's dispatch limit.
    pub fn grid_1d(&self, n: usize) -> [u32; 3] {
        grid_1d(n, self.limits.max_compute_workgroups_per_dimension)
    }

    /// A uniform buffer holding `value`, created once when a dispatch is built.
    pub fn uniform<T: bytemuck::Pod>(&self, value: &T) -> wgpu::Buffer {
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("uniform"),
                contents: bytemuck::bytes_of(value),
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            })
    }
}

impl Kernel {
    /// Binds `resources` (binding i = resources[i]) and returns a dispatch of `workgroups`.
    pub fn dispatch(
        &self,
        ctx: &GpuContext,
        resources: &[wgpu::BindingResource<'_>],
        workgroups: [u32; 3],
    ) -> Dispatch {
        assert_eq!(
            resources.len(),
            self.bindings,
            "kernel {} takes {} bindings",
            self.name,
            self.bindings
        );
        let entries: Vec<wgpu::BindGroupEntry> = resources
            .iter()
            .enumerate()
            .map(|(i, r)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: r.clone(),
            })
            .collect();
        let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(&self.name),
            layout: &self.layout,
            entries: &entries,
        });
        Dispatch {
            label: self.name.clone(),
            op: Op::Compute {
                pipeline: self.pipeline.clone(),
                bind_group,
                workgroups,
            },
            work: Default::default(),
        }
    }
}

/// Grid for a 1-D kernel with 256-wide workgroups, folded into two dimensions when the element
/// count exceeds one dimension's limit (kernels recover the index with `flat_index`).
pub fn grid_1d(n: usize, max_per_dim: u32) -> [u32; 3] {
    let groups = n.div_ceil(256).max(1) as u64;
    let max = max_per_dim.max(1) as u64;
    if groups <= max {
        [groups as u32, 1, 1]
    } else {
        [max as u32, groups.div_ceil(max) as u32, 1]
    }
}

/// Grid for a kernel with one invocation per item and `workgroup` invocations per group.
pub fn grid_items(n: usize, workgroup: usize) -> [u32; 3] {
    [n.div_ceil(workgroup).max(1) as u32, 1, 1]
}

/// The uniform binding for `buffer`.
pub fn uniform_binding(buffer: &wgpu::Buffer) -> wgpu::BindingResource<'_> {
    buffer.as_entire_binding()
}
