#pragma once

#include "result.h"

#include <QByteArray>

class QCommandLineParser;

// The largest payload exec reads from a file or standard input.
inline constexpr qint64 MaxPayloadBytes = 64 * 1024 * 1024;

// exec's payload as JSON text: the JSON argument (the third positional one),
// --data TEXT, or --data-file FILE (- for standard input, as --data - is), so
// that a payload too big for argv can be sent. Empty when none is given.
es::Result<QByteArray> readPayload(const QCommandLineParser &p);
