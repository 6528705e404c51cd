//! A thread that owns a device's queue (native only). On a CPU adapter such as lavapipe,
//! `queue.submit` runs the whole command buffer before it returns, so whoever submits a training
//! step waits for it: the desktop app's UI thread would draw one frame per step. With a
//! [`Submitter`] the UI thread records command buffers as before and hands every queue
//! operation (buffer writes, submissions, map requests, completion callbacks) to this thread,
//! which performs them in the order they were issued and polls the device so that callbacks
//! fire. Keeping one order for all of them is what keeps results identical: a buffer write takes
//! effect before the next submission, exactly as with `queue.write_buffer` on one thread.

use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};

/// A map request's callback.
pub(super) type MapCallback = Box<dyn FnOnce(Result<(), wgpu::BufferAsyncError>) + Send>;

/// One queue operation, performed on the submitter's thread.
pub(super) enum Op {
    Write {
        buffer: wgpu::Buffer,
        offset: u64,
        data: Vec<u8>,
    },
    Submit(wgpu::CommandBuffer),
    /// Maps the whole buffer for reading.
    MapRead {
        buffer: wgpu::Buffer,
        callback: MapCallback,
    },
    WorkDone(Box<dyn FnOnce() + Send>),
    /// Answers once everything issued before it has run on the device.
    Flush(Sender<()>),
}

/// The sending end; the thread ends when the last [`Submitter`] is dropped.
pub(super) struct Submitter {
    ops: Sender<Op>,
}

impl Submitter {
    /// Starts the thread that performs `device`'s queue operations.
    pub fn start(device: wgpu::Device, queue: wgpu::Queue) -> std::io::Result<Self> {
        let (ops, inbox) = channel();
        std::thread::Builder::new()
            .name("gpu-submit".into())
            .spawn(move || run(&device, &queue, &inbox))?;
        Ok(Self { ops })
    }

    /// Queues `op` (dropped silently once the thread is gone: the device has failed then, and
    /// the context reports that fault).
    pub(super) fn send(&self, op: Op) {
        let _ = self.ops.send(op);
    }

    /// Blocks until every operation issued so far has run and its work is done.
    pub fn flush(&self) {
        let (done, wait) = channel();
        self.send(Op::Flush(done));
        let _ = wait.recv();
    }
}

fn run(device: &wgpu::Device, queue: &wgpu::Queue, inbox: &Receiver<Op>) {
    loop {
        let op = match inbox.try_recv() {
            Ok(op) => op,
            Err(TryRecvError::Empty) => {
                // Nothing more to issue: let the device finish (callbacks fire here), then sleep
                // until the next operation.
                let _ = device.poll(wgpu::PollType::wait_indefinitely());
                match inbox.recv() {
                    Ok(op) => op,
                    Err(_) => return,
                }
            }
            Err(TryRecvError::Disconnected) => return,
        };
        match op {
            Op::Write {
                buffer,
                offset,
                data,
            } => queue.write_buffer(&buffer, offset, &data),
            Op::Submit(commands) => {
                queue.submit([commands]);
                let _ = device.poll(wgpu::PollType::Poll);
            }
            Op::MapRead { buffer, callback } => buffer.map_async(wgpu::MapMode::Read, .., callback),
            Op::WorkDone(callback) => queue.on_submitted_work_done(callback),
            Op::Flush(done) => {
                let _ = device.poll(wgpu::PollType::wait_indefinitely());
                let _ = done.send(());
            }
        }
    }
}
