#pragma once

#include <QStringList>
#include <QTextStream>

// Exit codes of eventscope-cli, part of its contract with scripts.
namespace exitcode {
inline constexpr int Ok = 0;
inline constexpr int Failed = 1;   // verify found tampering, a check failed
inline constexpr int Usage = 2;    // usage, I/O, a bad store or pack
inline constexpr int Rejected = 3; // the command was rejected (validation or a domain rule)
inline constexpr int Conflict = 4; // optimistic concurrency conflict
} // namespace exitcode

QTextStream &out();
QTextStream &err();

int runBench(const QStringList &args);
// bench --postgres URL: the PostgreSQL figures (benchpg.cpp).
int runPostgresBench(const QStringList &args);
