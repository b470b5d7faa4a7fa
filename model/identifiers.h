#pragma once

#include "result.h"

#include <QString>
#include <QStringView>

namespace es {

// What a stream id, a stream (aggregate) type, an event type, an event id and a
// command id may be: the one definition, applied wherever one enters the engine
// (the command pipeline's validation stage, so the CLI's exec, the console and
// the HTTP gateway; import; the workload generator; what a pack's decide and
// reactions return). The README's "Identifiers" section says the same in words.
//
// Every kind of identifier:
// - is not empty, and neither starts nor ends with white space;
// - is valid Unicode text: no lone surrogate (a JSON "\ud800" escape), no U+FFFD
//   (the replacement character: what a decoder leaves for bytes that were not UTF-8);
// - has no control character: C0 (U+0000-U+001F: NUL, newline, ESC...), DEL
//   (U+007F), C1 (U+0080-U+009F);
// - has no invisible formatting character that makes it display as something it
//   is not: line and paragraph separators (U+2028, U+2029), bidirectional
//   controls (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), zero-width space
//   (U+200B), word joiner (U+2060), byte order mark (U+FEFF);
// - is at most maxLength(kind) characters (code points) long.
namespace identifiers {

enum class Kind { StreamId, StreamType, EventType, EventId, CommandId };

inline constexpr qsizetype MaxStreamIdLength = 200;
inline constexpr qsizetype MaxTypeLength = 100; // stream types and event types
inline constexpr qsizetype MaxIdLength = 100;   // event ids and command ids

qsizetype maxLength(Kind kind);
// "stream id", "event type"...: for messages.
QString noun(Kind kind);

// Empty when value may be used as an identifier of that kind; otherwise what is
// wrong, naming the identifier: "stream id contains a control character (U+001B)
// at offset 3". Offsets count characters (code points) from 0.
QString problem(Kind kind, QStringView value);

// problem() as an Error{Invalid}.
Status check(Kind kind, QStringView value);

} // namespace identifiers
} // namespace es
