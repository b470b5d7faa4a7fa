#pragma once

#include <QString>

#include <optional>
#include <utility>

namespace es {

// Errors travel as values. The code lets callers (the CLI's exit codes, the
// views' messages) react to the kind of failure without parsing text.
enum class ErrorCode {
    None,
    Io,             // the database or a file could not be read or written
    NotAStore,      // a SQLite file that is not an Eventscope store, or not SQLite at all
    Damaged,        // the store's file is corrupt: what is readable can be read, nothing is written
    NewerSchema,    // written by a newer Eventscope
    ReadOnly,       // a write on a store opened read-only
    Conflict,       // optimistic concurrency: expected version did not match
    DuplicateId,    // an event or command id already stored with other content
    Invalid,        // malformed input (JSON, arguments, an import line)
    NotFound,       // no such stream, command, aggregate...
    Script,         // a domain pack failed (syntax, runtime, timeout)
    Cancelled,
};

struct Error {
    ErrorCode code = ErrorCode::None;
    QString message;
    // Filled for Conflict.
    qint64 expectedVersion = -1;
    qint64 actualVersion = -1;

    static Error make(ErrorCode c, QString msg) { return Error{c, std::move(msg), -1, -1}; }
};

// A value or an error. Deliberately small: std::expected is C++23.
template <typename T>
class Result {
public:
    Result(T value) : m_value(std::move(value)) {} // NOLINT(google-explicit-constructor)
    Result(Error error) : m_error(std::move(error)) {} // NOLINT(google-explicit-constructor)

    explicit operator bool() const { return m_value.has_value(); }
    bool ok() const { return m_value.has_value(); }
    const T &value() const & { return *m_value; }
    T &value() & { return *m_value; }
    T &&value() && { return std::move(*m_value); }
    const T &operator*() const & { return *m_value; }
    T &operator*() & { return *m_value; }
    const T *operator->() const { return &*m_value; }
    T *operator->() { return &*m_value; }
    const Error &error() const { return m_error; }

private:
    std::optional<T> m_value;
    Error m_error;
};

// For operations that return nothing but may fail.
class Status {
public:
    Status() = default;
    Status(Error error) : m_error(std::move(error)) {} // NOLINT(google-explicit-constructor)
    explicit operator bool() const { return m_error.code == ErrorCode::None; }
    bool ok() const { return m_error.code == ErrorCode::None; }
    const Error &error() const { return m_error; }

private:
    Error m_error;
};

} // namespace es
