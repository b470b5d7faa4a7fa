#include "domain.h"

#include <QHash>

namespace es {

using namespace Qt::StringLiterals;

Result<QJsonObject> Domain::fold(const QString &aggregate, const QJsonObject &state, const EventList &events)
{
    QJsonObject current = state;
    for (const RecordedEvent &event : events) {
        auto next = evolve(aggregate, current, event);
        if (!next) {
            return next.error();
        }
        current = std::move(next).value();
    }
    return current;
}

QJsonObject FieldSpec::toJson() const
{
    // Unset constraints are left out, so the JSON reads like the pack's declaration.
    QJsonObject o{{u"name"_s, name}, {u"type"_s, type}, {u"required"_s, required}};
    if (min) {
        o.insert(u"min"_s, *min);
    }
    if (max) {
        o.insert(u"max"_s, *max);
    }
    if (minLength) {
        o.insert(u"minLength"_s, *minLength);
    }
    if (maxLength) {
        o.insert(u"maxLength"_s, *maxLength);
    }
    if (!pattern.isEmpty()) {
        o.insert(u"pattern"_s, pattern);
    }
    if (!values.isEmpty()) {
        o.insert(u"values"_s, QJsonArray::fromStringList(values));
    }
    if (!description.isEmpty()) {
        o.insert(u"description"_s, description);
    }
    if (!examples.isEmpty()) {
        o.insert(u"examples"_s, examples);
    }
    if (secret) {
        o.insert(u"secret"_s, true);
    }
    return o;
}

QJsonObject CommandSpec::toJson() const
{
    // An array keeps the declaration order, which a form should follow.
    QJsonArray fieldList;
    for (const FieldSpec &f : fields) {
        fieldList.append(f.toJson());
    }
    return {{u"name"_s, name}, {u"aggregate"_s, aggregate}, {u"description"_s, description}, {u"fields"_s, fieldList}};
}

const AggregateSpec *DomainInfo::aggregate(const QString &name) const
{
    for (const AggregateSpec &a : aggregates) {
        if (a.name == name) {
            return &a;
        }
    }
    return nullptr;
}

const CommandSpec *DomainInfo::command(const QString &name, QString *error) const
{
    auto fail = [error](const QString &message) -> const CommandSpec * {
        if (error) {
            *error = message;
        }
        return nullptr;
    };
    // What a user can type: the bare name when it is unique, else the qualified one.
    auto available = [this]() -> QString {
        QHash<QString, int> counts;
        for (const AggregateSpec &a : aggregates) {
            for (const CommandSpec &c : a.commands) {
                ++counts[c.name];
            }
        }
        QStringList names;
        for (const AggregateSpec &a : aggregates) {
            for (const CommandSpec &c : a.commands) {
                names.append(counts.value(c.name) > 1 ? a.name + u'.' + c.name : c.name);
            }
        }
        return names.isEmpty() ? u"none"_s : names.join(u", "_s);
    };

    const qsizetype dot = name.indexOf(u'.');
    if (dot >= 0) {
        const QString aggregateName = name.left(dot);
        const QString commandName = name.mid(dot + 1);
        const AggregateSpec *a = aggregate(aggregateName);
        if (!a) {
            return fail(u"unknown aggregate "_s + aggregateName + u" in "_s + name + u" (available commands: "_s +
                        available() + u')');
        }
        for (const CommandSpec &c : a->commands) {
            if (c.name == commandName) {
                return &c;
            }
        }
        return fail(u"unknown command "_s + name + u" (available commands: "_s + available() + u')');
    }

    QList<const CommandSpec *> found;
    for (const AggregateSpec &a : aggregates) {
        for (const CommandSpec &c : a.commands) {
            if (c.name == name) {
                found.append(&c);
            }
        }
    }
    if (found.size() == 1) {
        return found.constFirst();
    }
    if (found.size() > 1) {
        QStringList qualified;
        for (const CommandSpec *c : std::as_const(found)) {
            qualified.append(c->aggregate + u'.' + c->name);
        }
        return fail(u"ambiguous command "_s + name + u": use Aggregate."_s + name + u" ("_s +
                    qualified.join(u" or "_s) + u')');
    }
    return fail(u"unknown command "_s + name + u" (available commands: "_s + available() + u')');
}

QJsonObject DomainInfo::toJson() const
{
    QJsonArray aggregateList;
    for (const AggregateSpec &a : aggregates) {
        QJsonArray commandList;
        for (const CommandSpec &c : a.commands) {
            commandList.append(c.toJson());
        }
        aggregateList.append(QJsonObject{{u"name"_s, a.name},
                                         {u"description"_s, a.description},
                                         {u"streamTemplate"_s, a.streamTemplate},
                                         {u"commands"_s, commandList},
                                         {u"eventTypes"_s, QJsonArray::fromStringList(a.eventTypes)}});
    }
    QJsonArray projectionList;
    for (const ProjectionSpec &p : projections) {
        projectionList.append(QJsonObject{{u"name"_s, p.name},
                                          {u"kind"_s, p.kind},
                                          {u"eventTypes"_s, QJsonArray::fromStringList(p.eventTypes)},
                                          {u"definition"_s, p.definition}});
    }
    QJsonArray reactionList;
    for (const ReactionSpec &r : reactions) {
        reactionList.append(QJsonObject{{u"name"_s, r.name}, {u"eventType"_s, r.eventType}});
    }
    return {{u"name"_s, name},
            {u"version"_s, version},
            {u"description"_s, description},
            {u"contentHash"_s, contentHash},
            {u"sourcePath"_s, sourcePath},
            {u"aggregates"_s, aggregateList},
            {u"projections"_s, projectionList},
            {u"reactions"_s, reactionList}};
}

} // namespace es

namespace es {

QString AggregateSpec::newStreamId(qint64 n, quint32 random) const
{
    static const QStringList words = {u"maple"_s, u"cedar"_s, u"ember"_s, u"fjord"_s, u"grove"_s, u"lumen"_s,
                                      u"nova"_s,  u"orchid"_s, u"pepper"_s, u"quartz"_s, u"river"_s, u"sage"_s};
    QString t = streamTemplate.isEmpty() ? name.toLower() + u"-{n}"_s : streamTemplate;
    const QString word = words.at(int(random % quint32(words.size())));
    t.replace(u"{n}"_s, QString::number(n));
    t.replace(u"{word}"_s, word);
    t.replace(u"{WORD}"_s, word.toUpper());
    t.replace(u"{id}"_s, QString::number(random, 36));
    return t;
}

} // namespace es
