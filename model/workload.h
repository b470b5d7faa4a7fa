#pragma once

#include "commandpipeline.h"
#include "result.h"

#include <functional>

namespace es {

// Drives the real pipeline with a seeded random workload: valid commands
// generated from the pack's declared fields, plus a share of invalid payloads
// and stale expected versions, so a generated store shows rejections and
// concurrency conflicts too.
//
// Conventions it relies on (documented in the README): a new stream is opened
// with its aggregate's first declared command, and a field's `examples` (when
// declared) are the values to pick from.
class WorkloadGenerator {
public:
    struct Options {
        qint64 commands = 1000;
        quint32 seed = 1;
        double newStreamRate = 0.12;
        double invalidRate = 0.04;
        double conflictRate = 0.03;
    };
    struct Stats {
        qint64 commands = 0;
        qint64 accepted = 0;
        qint64 rejected = 0;
        qint64 conflicts = 0;
        qint64 failed = 0;
        qint64 events = 0;
        qint64 streams = 0;
    };

    WorkloadGenerator(CommandPipeline *pipeline, const Options &options);

    // progress(done, total) returns false to cancel.
    Result<Stats> run(const std::function<bool(qint64, qint64)> &progress = {});

private:
    CommandPipeline *m_pipeline;
    Options m_options;
};

} // namespace es
