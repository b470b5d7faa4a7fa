#include "bisect.h"
#include "scriptwatchdog.h"

#include "eventstore.h"
#include "timetravel.h"

#include <QJSEngine>

using namespace Qt::StringLiterals;

namespace es {

namespace {

constexpr qint64 ReadChunk = 500;


QString describe(const QJSValue &error)
{
    QString message = error.toString();
    const int line = error.property(u"lineNumber"_s).toInt();
    if (line > 0)
        message = u"line %1: %2"_s.arg(line).arg(message);
    return message;
}

} // namespace

class StatePredicate::Impl {
public:
    explicit Impl(int timeoutMs)
        : watchdog(&engine, timeoutMs)
    {
    }
    QJSEngine engine;
    ScriptWatchdog watchdog; // after the engine: stops before it goes away
    QJSValue function;
    QString source;
};

StatePredicate::StatePredicate(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{
}

StatePredicate::~StatePredicate() = default;

QString StatePredicate::source() const
{
    return m_impl->source;
}

Result<std::unique_ptr<StatePredicate>> StatePredicate::compile(const QString &source, int timeoutMs)
{
    const QString trimmed = source.trimmed();
    if (trimmed.isEmpty())
        return Error::make(ErrorCode::Invalid, u"the predicate is empty: write a function of the state, "
                                               "for example s => s.balance < 0"_s);
    auto impl = std::make_unique<Impl>(timeoutMs);
    impl->source = trimmed;
    // Parenthesised so that `s => ...` and `function (s) {...}` are both expressions.
    impl->watchdog.arm();
    const QJSValue value = impl->engine.evaluate(u"(\n"_s + trimmed + u"\n)"_s, u"predicate"_s, 0);
    const bool interrupted = impl->watchdog.disarm();
    if (interrupted)
        return Error::make(ErrorCode::Script, u"predicate: interrupted after %1 ms"_s.arg(timeoutMs));
    if (value.isError())
        return Error::make(ErrorCode::Script, u"predicate: "_s + describe(value));
    if (!value.isCallable())
        return Error::make(ErrorCode::Invalid,
                           u"the predicate must be a function of the state, for example s => s.balance < 0 "
                           "(this is a %1)"_s.arg(value.isUndefined() ? u"undefined value"_s
                                                                      : value.isObject() ? u"plain object"_s
                                                                                         : value.toString()));
    impl->function = value;
    return std::unique_ptr<StatePredicate>(new StatePredicate(std::move(impl)));
}

Result<bool> StatePredicate::test(const QJsonObject &state)
{
    const QJSValue arg = m_impl->engine.toScriptValue(state);
    m_impl->watchdog.arm();
    const QJSValue result = m_impl->function.call({arg});
    const bool interrupted = m_impl->watchdog.disarm();
    if (interrupted)
        return Error::make(ErrorCode::Script,
                           u"predicate interrupted after %1 ms (an endless loop?)"_s.arg(m_impl->watchdog.timeoutMs()));
    if (result.isError())
        return Error::make(ErrorCode::Script, u"predicate threw "_s + describe(result));
    return result.toBool();
}

namespace {

Result<bool> testAt(StatePredicate &predicate, const QJsonObject &state, qint64 version)
{
    auto r = predicate.test(state);
    if (!r)
        return Error::make(r.error().code, r.error().message + u" (at version %1)"_s.arg(version));
    return r;
}

} // namespace

Result<BisectResult> Bisect::firstTrue(EventStore *store, Domain *domain, const QString &stream,
                                       StatePredicate &predicate, const Progress &progress)
{
    const auto info = store->streamInfo(stream);
    if (!info)
        return Error::make(ErrorCode::NotFound, u"no stream %1"_s.arg(stream));
    auto initial = domain->initialState(info->type);
    if (!initial)
        return initial.error();
    BisectResult out;
    out.total = info->version + 1;
    QJsonObject state = *initial;
    auto first = testAt(predicate, state, 0);
    if (!first)
        return first.error();
    out.checked = 1;
    if (*first) {
        out.found = true;
        out.state = state;
        return out;
    }
    for (qint64 from = 1; from <= info->version; from += ReadChunk) {
        if (progress && !progress(out.checked, out.total))
            return Error::make(ErrorCode::Cancelled, u"bisect cancelled"_s);
        auto events = store->readStream(stream, from, qMin(info->version, from + ReadChunk - 1));
        if (!events)
            return events.error();
        for (const RecordedEvent &e : std::as_const(*events)) {
            auto next = domain->evolve(info->type, state, e);
            if (!next)
                return next.error();
            state = *next;
            auto hit = testAt(predicate, state, e.version);
            if (!hit)
                return hit.error();
            ++out.checked;
            if (*hit) {
                out.found = true;
                out.version = e.version;
                out.position = e.position;
                out.eventType = e.type;
                out.recordedMs = e.recordedMs;
                out.state = state;
                return out;
            }
        }
    }
    if (progress)
        progress(out.checked, out.total);
    return out;
}

Result<BisectResult> Bisect::firstTrue(const QJsonObject &initial, const QList<HistoryStep> &steps,
                                       StatePredicate &predicate, const Progress &progress)
{
    BisectResult out;
    out.total = steps.size() + 1;
    auto first = testAt(predicate, initial, 0);
    if (!first)
        return first.error();
    out.checked = 1;
    if (*first) {
        out.found = true;
        out.state = initial;
        return out;
    }
    for (const HistoryStep &step : steps) {
        if (progress && out.checked % 32 == 0 && !progress(out.checked, out.total))
            return Error::make(ErrorCode::Cancelled, u"bisect cancelled"_s);
        auto hit = testAt(predicate, step.after, step.event.version);
        if (!hit)
            return hit.error();
        ++out.checked;
        if (*hit) {
            out.found = true;
            out.version = step.event.version;
            out.position = step.event.position;
            out.eventType = step.event.type;
            out.recordedMs = step.event.recordedMs;
            out.state = step.after;
            return out;
        }
    }
    return out;
}

} // namespace es
