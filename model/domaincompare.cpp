#include "domaincompare.h"

#include "eventstore.h"
#include "jsdomain.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QRegularExpression>
#include <QJsonArray>
#include <QThread>

using namespace Qt::StringLiterals;

namespace es {

namespace {

constexpr qint64 ReadChunk = 2000; // events of one stream read at a time

QString childPath(const QString &prefix, const QString &key)
{
    static const QRegularExpression plain(u"^[A-Za-z_$][A-Za-z0-9_$]*$"_s);
    if (plain.match(key).hasMatch())
        return prefix.isEmpty() ? key : prefix + u'.' + key;
    QString escaped = key;
    escaped.replace(u"\\"_s, u"\\\\"_s).replace(u"\""_s, u"\\\""_s);
    return prefix + u"[\""_s + escaped + u"\"]"_s;
}

} // namespace

QString StreamDivergence::statusName(Status status)
{
    switch (status) {
    case Status::Equal:
        return QCoreApplication::translate("es::DomainCompare", "equal");
    case Status::Differs:
        return QCoreApplication::translate("es::DomainCompare", "differs");
    case Status::Error:
        return QCoreApplication::translate("es::DomainCompare", "error");
    }
    return {};
}

DomainCompare::DomainCompare(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<QList<es::StreamDivergence>>();
}

DomainCompare::~DomainCompare()
{
    if (m_cancel)
        m_cancel->store(true);
    for (QThread *t : m_threads)
        t->wait();
}

QStringList DomainCompare::differingPaths(const QJsonValue &a, const QJsonValue &b, const QString &prefix)
{
    if (a == b)
        return {};
    if (a.isObject() && b.isObject()) {
        const QJsonObject oa = a.toObject();
        const QJsonObject ob = b.toObject();
        QStringList keys = oa.keys();
        for (const QString &k : ob.keys())
            if (!oa.contains(k))
                keys << k;
        keys.sort();
        QStringList out;
        for (const QString &k : std::as_const(keys)) {
            const QString path = childPath(prefix, k);
            if (!oa.contains(k) || !ob.contains(k))
                out << path;
            else
                out << differingPaths(oa.value(k), ob.value(k), path);
        }
        return out;
    }
    if (a.isArray() && b.isArray()) {
        const QJsonArray aa = a.toArray();
        const QJsonArray ab = b.toArray();
        QStringList out;
        for (qsizetype i = 0; i < qMax(aa.size(), ab.size()); ++i) {
            const QString path = prefix + u'[' + QString::number(i) + u']';
            if (i >= aa.size() || i >= ab.size())
                out << path;
            else
                out << differingPaths(aa.at(i), ab.at(i), path);
        }
        return out;
    }
    return {prefix.isEmpty() ? u"(whole state)"_s : prefix};
}

StreamDivergence DomainCompare::compareStream(EventStore *store, Domain *a, Domain *b, const StreamInfo &stream)
{
    StreamDivergence d;
    d.stream = stream.stream;
    d.aggregate = stream.type;
    auto fail = [&d](const QString &which, const Error &e, const RecordedEvent *event) {
        d.status = StreamDivergence::Status::Error;
        d.error = u"pack %1: %2"_s.arg(which, e.message);
        if (event) {
            d.version = event->version;
            d.position = event->position;
            d.eventType = event->type;
        }
        return d;
    };
    if (!a->info().aggregate(stream.type))
        return fail(u"A"_s, Error::make(ErrorCode::NotFound, u"no aggregate %1"_s.arg(stream.type)), nullptr);
    if (!b->info().aggregate(stream.type))
        return fail(u"B"_s, Error::make(ErrorCode::NotFound, u"no aggregate %1"_s.arg(stream.type)), nullptr);
    auto ia = a->initialState(stream.type);
    if (!ia)
        return fail(u"A"_s, ia.error(), nullptr);
    auto ib = b->initialState(stream.type);
    if (!ib)
        return fail(u"B"_s, ib.error(), nullptr);
    QJsonObject sa = *ia;
    QJsonObject sb = *ib;
    if (sa != sb) {
        d.status = StreamDivergence::Status::Differs;
        d.eventType = QCoreApplication::translate("es::DomainCompare", "(initial state)");
        d.stateA = sa;
        d.stateB = sb;
        d.paths = differingPaths(sa, sb);
        return d;
    }
    for (qint64 from = 1;; from += ReadChunk) {
        auto events = store->readStream(stream.stream, from, from + ReadChunk - 1);
        if (!events)
            return fail(u"store"_s, events.error(), nullptr);
        for (const RecordedEvent &e : std::as_const(*events)) {
            ++d.events;
            auto na = a->evolve(stream.type, sa, e);
            if (!na)
                return fail(u"A"_s, na.error(), &e);
            auto nb = b->evolve(stream.type, sb, e);
            if (!nb)
                return fail(u"B"_s, nb.error(), &e);
            if (*na != *nb) {
                d.status = StreamDivergence::Status::Differs;
                d.version = e.version;
                d.position = e.position;
                d.eventType = e.type;
                d.before = sa;
                d.stateA = *na;
                d.stateB = *nb;
                d.paths = differingPaths(*na, *nb);
                return d;
            }
            sa = *na;
            sb = *nb;
        }
        if (events->size() < ReadChunk)
            break;
    }
    d.stateA = sa;
    d.stateB = sb;
    return d;
}

Result<QList<StreamDivergence>> DomainCompare::run(EventStore *store, Domain *a, Domain *b, const Options &options,
                                                   const std::function<bool(qint64, qint64)> &progress)
{
    QList<StreamInfo> streams;
    if (options.filter == Filter::Selected) {
        for (const QString &s : options.streams) {
            const auto info = store->streamInfo(s);
            if (!info)
                return Error::make(ErrorCode::NotFound, u"no stream %1 in the store"_s.arg(s));
            streams.append(*info);
        }
    } else {
        auto all = store->streams(options.filter == Filter::Prefix ? options.prefix : QString());
        if (!all)
            return all.error();
        streams = *all;
    }
    QList<StreamDivergence> out;
    out.reserve(streams.size());
    const qint64 total = streams.size();
    QElapsedTimer clock;
    clock.start();
    for (const StreamInfo &s : std::as_const(streams)) {
        out.append(compareStream(store, a, b, s));
        // Throttled: a store of many short streams would otherwise flood the GUI.
        if (progress && clock.elapsed() >= 50) {
            clock.restart();
            if (!progress(out.size(), total))
                return Error::make(ErrorCode::Cancelled, u"the comparison was cancelled"_s);
        }
    }
    if (progress)
        progress(total, total);
    return out;
}

Result<QList<StreamDivergence>> DomainCompare::run(const Options &options,
                                                   const std::function<bool(qint64, qint64)> &progress)
{
    auto a = JsDomain::load(options.packA);
    if (!a)
        return a.error();
    auto b = JsDomain::load(options.packB);
    if (!b)
        return b.error();
    EventStore::Options ro;
    ro.mode = EventStore::Mode::ReadOnly;
    auto store = EventStore::open(options.storePath, ro);
    if (!store)
        return store.error();
    return run(store->get(), a->get(), b->get(), options, progress);
}

DomainCompare::Summary DomainCompare::summarise(const QList<StreamDivergence> &results)
{
    Summary s;
    for (const StreamDivergence &d : results) {
        switch (d.status) {
        case StreamDivergence::Status::Equal:
            ++s.equal;
            break;
        case StreamDivergence::Status::Differs:
            ++s.differs;
            break;
        case StreamDivergence::Status::Error:
            ++s.errors;
            break;
        }
    }
    return s;
}

void DomainCompare::setRunning(bool running)
{
    if (running == m_running)
        return;
    m_running = running;
    Q_EMIT runningChanged(running);
}

void DomainCompare::cancel()
{
    if (m_cancel)
        m_cancel->store(true);
    m_cancel.reset();
    ++m_jobId; // a late result is stale
    setRunning(false);
}

void DomainCompare::start(const Options &options)
{
    cancel();
    const quint64 id = ++m_jobId;
    auto flag = std::make_shared<std::atomic_bool>(false);
    m_cancel = flag;
    setRunning(true);
    QThread *thread = QThread::create([this, id, flag, options] {
        auto result = run(options, [this, flag](qint64 done, qint64 total) {
            if (flag->load())
                return false;
            QMetaObject::invokeMethod(this, [this, done, total] { Q_EMIT progress(done, total); },
                                      Qt::QueuedConnection);
            return true;
        });
        QMetaObject::invokeMethod(
            this,
            [this, id, result] {
                if (id != m_jobId)
                    return;
                m_cancel.reset();
                setRunning(false);
                if (!result) {
                    if (result.error().code != ErrorCode::Cancelled)
                        Q_EMIT failed(result.error().message);
                    return;
                }
                Q_EMIT finished(*result);
            },
            Qt::QueuedConnection);
    });
    m_threads.push_back(thread);
    connect(thread, &QThread::finished, this, [this, thread] {
        std::erase(m_threads, thread);
        thread->deleteLater();
    });
    thread->start();
}

} // namespace es
