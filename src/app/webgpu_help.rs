//! What a browser without WebGPU is told: why (no WebGPU at all, or a page served over plain
//! http from an address other than localhost, where browsers hide WebGPU) and how to get it.

/// How to get WebGPU, for users whose browser has none.
pub const WEBGPU_HELP: &str = "This page trains neural networks with WebGPU compute shaders, and \
this browser offers no WebGPU adapter with compute. Use a current Chrome or Edge (113 or later), \
or Firefox 141+ / Safari 26+; on Linux Chrome may need chrome://flags/#enable-unsafe-webgpu and \
Vulkan. Or run the desktop app: `cargo run --release` in a checkout.";

/// Why `navigator.gpu` is missing on a page at `origin`: browsers offer WebGPU only in a secure
/// context (https, or http on localhost / 127.0.0.1), so a page served over plain http on a LAN
/// address has none even in a browser that supports it.
pub fn missing_webgpu(secure_context: bool, origin: &str) -> String {
    if secure_context {
        format!("This browser has no WebGPU (navigator.gpu is missing). {WEBGPU_HELP}")
    } else {
        format!(
            "WebGPU needs a secure context: this page was opened at {origin}, over plain http \
             from an address other than localhost, where browsers hide WebGPU. Open it over \
             https, or at http://localhost or http://127.0.0.1 on the machine that serves it \
             (an SSH tunnel works: ssh -L 8080:localhost:8080 host)."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_http_lan_page_is_told_about_secure_contexts() {
        let lan = missing_webgpu(false, "http://192.168.1.20:8080");
        assert!(
            lan.contains("secure context") && lan.contains("192.168.1.20"),
            "{lan}"
        );
        assert!(!lan.contains("This browser has no WebGPU"), "{lan}");
        let old = missing_webgpu(true, "https://example.org");
        assert!(old.contains("no WebGPU") && old.contains("Chrome"), "{old}");
    }
}
