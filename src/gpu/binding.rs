//! Kernel interfaces declared once, on the Rust side. A [`Shader`] names its WGSL file, the
//! uniform structs it reads and its bindings in order; from that one declaration come the WGSL
//! declarations prepended to the file (`@group(0) @binding(i) var<...> name: type;` and the
//! structs), the bind-group layout, and the check that a dispatch binds what the kernel expects.
//! Uniform structs are written once in Rust with [`wgsl_struct!`](crate::wgsl_struct), which also
//! yields their WGSL text, so the two sides cannot drift.

use std::fmt::Write;

/// How a kernel accesses one binding; bindings are numbered by position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// `var<uniform>`.
    Uniform,
    /// `var<storage, read>`.
    Read,
    /// `var<storage, read_write>`.
    ReadWrite,
    /// A sampled 2-D `rgba32float` texture read with `textureLoad` ([`crate::gpu::Texels`]).
    Texels,
}

/// One binding of a kernel family: its WGSL name, access and type.
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    /// Variable name in WGSL.
    pub name: &'static str,
    /// How the kernels access it.
    pub access: Access,
    /// WGSL type: a uniform struct's name, or an array type such as `array<f32>`.
    pub ty: &'static str,
}

/// A uniform struct named `ty` (declared by [`wgsl_struct!`](crate::wgsl_struct)).
pub const fn uniform(name: &'static str, ty: &'static str) -> Binding {
    Binding {
        name,
        access: Access::Uniform,
        ty,
    }
}

/// A read-only `array<f32>`.
pub const fn read(name: &'static str) -> Binding {
    read_as(name, "array<f32>")
}

/// A read-only storage binding of type `ty`.
pub const fn read_as(name: &'static str, ty: &'static str) -> Binding {
    Binding {
        name,
        access: Access::Read,
        ty,
    }
}

/// A writable `array<f32>`.
pub const fn write(name: &'static str) -> Binding {
    write_as(name, "array<f32>")
}

/// A writable storage binding of type `ty`.
pub const fn write_as(name: &'static str, ty: &'static str) -> Binding {
    Binding {
        name,
        access: Access::ReadWrite,
        ty,
    }
}

/// A sampled texture of texels (see [`Access::Texels`]).
pub const fn texels(name: &'static str) -> Binding {
    Binding {
        name,
        access: Access::Texels,
        ty: "texture_2d<f32>",
    }
}

/// A Rust struct that is also a WGSL struct (see [`wgsl_struct!`](crate::wgsl_struct)).
pub trait WgslStruct: bytemuck::Pod {
    /// The struct's WGSL declaration.
    const WGSL: &'static str;
}

/// Declares a `#[repr(C)]` plain-data struct of `u32`/`i32`/`f32` fields together with its WGSL
/// twin ([`WgslStruct::WGSL`]); the size must be a multiple of 16 bytes (uniform layout).
#[macro_export]
macro_rules! wgsl_struct {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ident),* $(,)? }) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
        $vis struct $name { $($(#[$fmeta])* $fvis $field: $ty),* }

        impl $crate::gpu::WgslStruct for $name {
            const WGSL: &'static str = concat!(
                "struct ", stringify!($name), " {\n",
                $("    ", stringify!($field), ": ", stringify!($ty), ",\n",)*
                "}\n"
            );
        }

        const _: () = assert!(
            ::std::mem::size_of::<$name>() % 16 == 0,
            "uniform structs must be a multiple of 16 bytes"
        );
    };
}

/// A WGSL file from `shaders/` with its interface.
#[derive(Clone, Copy, Debug)]
pub struct Shader {
    /// File name, used as the cache key and in error messages.
    pub name: &'static str,
    /// WGSL text: the kernels only; declarations are generated.
    pub source: &'static str,
    /// WGSL constants shared by every kernel (the scalar-slot table, `kernels::slot`).
    pub constants: &'static [&'static str],
    /// WGSL of the uniform structs the bindings use ([`WgslStruct::WGSL`]).
    pub structs: &'static [&'static str],
    /// Shared WGSL helpers placed before the source (e.g. attention's index functions).
    pub preludes: &'static [&'static str],
    /// Bindings in order: binding `i` of group 0 is `bindings[i]`.
    pub bindings: &'static [Binding],
    /// Elementwise entry points, each `(entry, stop)`: the source defines `fn {entry}_at(i:
    /// u32)` for one element, and the module gets the entry point `entry` that visits
    /// `run_index(gid, nwg, r)` for `r < RUN` (shaders/common.wgsl) until `stop` (a WGSL
    /// condition on `i`) holds. Launched over [`super::Grid::Elements`].
    pub elementwise: &'static [(&'static str, &'static str)],
}

impl Shader {
    /// The complete WGSL module: the common helpers, the shared constants, the structs, the
    /// binding declarations, the shared preludes, the file's kernels, then the entry points of
    /// its elementwise kernels.
    pub fn module_source(&self, common: &str) -> String {
        let mut text = String::with_capacity(common.len() + self.source.len() + 1024);
        text.push_str(common);
        text.push('\n');
        for s in self.constants.iter().chain(self.structs) {
            text.push_str(s);
        }
        for (i, b) in self.bindings.iter().enumerate() {
            let space = match b.access {
                Access::Uniform => "<uniform>",
                Access::Read => "<storage, read>",
                Access::ReadWrite => "<storage, read_write>",
                Access::Texels => "",
            };
            let _ = writeln!(
                text,
                "@group(0) @binding({i}) var{space} {}: {};",
                b.name, b.ty
            );
        }
        for p in self.preludes {
            text.push_str(p);
            text.push('\n');
        }
        text.push_str(self.source);
        for (entry, stop) in self.elementwise {
            let _ = write!(
                text,
                "\n@compute @workgroup_size(256)\n\
                 fn {entry}(@builtin(global_invocation_id) gid: vec3<u32>, \
                 @builtin(num_workgroups) nwg: vec3<u32>) {{\n\
                 \x20   for (var r = 0u; r < RUN; r++) {{\n\
                 \x20       let i = run_index(gid, nwg, r);\n\
                 \x20       if ({stop}) {{\n\
                 \x20           return;\n\
                 \x20       }}\n\
                 \x20       {entry}_at(i);\n\
                 \x20   }}\n\
                 }}\n"
            );
        }
        text
    }

    /// The access list the bind-group layout is built from.
    pub fn access(&self) -> impl Iterator<Item = Access> + '_ {
        self.bindings.iter().map(|b| b.access)
    }
}
