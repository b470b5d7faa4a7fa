#include "projectiontypes.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

using namespace Qt::StringLiterals;

namespace es {

namespace {

// Columns every table has; a pack may not declare them.
const QStringList ReservedColumns{u"_key"_s, u"_position"_s, u"_rowid"_s, u"rowid"_s, u"oid"_s, u"_rowid_"_s};
constexpr int MaxIdentifierLength = 64;

Error invalid(const QString &projection, const QString &message)
{
    return Error::make(ErrorCode::Invalid, u"projection '%1': %2"_s.arg(projection, message));
}

} // namespace

QString projectionKindName(ProjectionKind kind)
{
    switch (kind) {
    case ProjectionKind::Table:
        return u"table"_s;
    case ProjectionKind::Search:
        return u"search"_s;
    case ProjectionKind::Page:
        return u"page"_s;
    }
    return u"table"_s;
}

QString projectionStateName(ProjectionState state)
{
    switch (state) {
    case ProjectionState::Running:
        return u"running"_s;
    case ProjectionState::Paused:
        return u"paused"_s;
    case ProjectionState::Rebuilding:
        return u"rebuilding"_s;
    case ProjectionState::Failed:
        return u"failed"_s;
    }
    return u"running"_s;
}

std::optional<ProjectionState> projectionStateFromName(const QString &name)
{
    for (ProjectionState s : {ProjectionState::Running, ProjectionState::Paused, ProjectionState::Rebuilding,
                              ProjectionState::Failed}) {
        if (projectionStateName(s) == name)
            return s;
    }
    return std::nullopt;
}

QString ColumnSpec::sqlType() const
{
    switch (type) {
    case Type::Text:
        return u"TEXT"_s;
    case Type::Integer:
        return u"INTEGER"_s;
    case Type::Real:
        return u"REAL"_s;
    }
    return u"TEXT"_s;
}

QString ColumnSpec::typeName() const
{
    switch (type) {
    case Type::Text:
        return u"text"_s;
    case Type::Integer:
        return u"integer"_s;
    case Type::Real:
        return u"real"_s;
    }
    return u"text"_s;
}

bool ProjectionSchema::isIdentifier(const QString &name)
{
    static const QRegularExpression re(u"^[A-Za-z_][A-Za-z0-9_]*$"_s);
    return !name.isEmpty() && name.size() <= MaxIdentifierLength && re.match(name).hasMatch();
}

const ColumnSpec *ProjectionSchema::column(const QString &name) const
{
    for (const ColumnSpec &c : columns) {
        if (c.name == name)
            return &c;
    }
    return nullptr;
}

Result<ProjectionSchema> ProjectionSchema::fromSpec(const ProjectionSpec &spec)
{
    ProjectionSchema s;
    s.name = spec.name;
    if (!isIdentifier(spec.name))
        return invalid(spec.name, u"the name must match [A-Za-z_][A-Za-z0-9_]* (at most %1 characters): it names SQL "
                                  "tables"_s.arg(MaxIdentifierLength));
    const QString kind = spec.kind.isEmpty() ? spec.definition.value(u"kind"_s).toString() : spec.kind;
    if (kind == u"table")
        s.kind = ProjectionKind::Table;
    else if (kind == u"search")
        s.kind = ProjectionKind::Search;
    else if (kind == u"page")
        s.kind = ProjectionKind::Page;
    else
        return invalid(spec.name, u"unknown kind '%1' (table, search or page)"_s.arg(kind));
    s.eventTypes = spec.eventTypes;
    s.description = spec.definition.value(u"description"_s).toString();

    const QJsonValue delay = spec.definition.value(u"delayMs"_s);
    if (!delay.isUndefined() && !delay.isNull()) {
        if (!delay.isDouble() || delay.toDouble() < 0 || delay.toDouble() > 3'600'000)
            return invalid(spec.name, u"delayMs must be a number of milliseconds between 0 and 3600000"_s);
        s.delayMs = int(delay.toDouble());
    }

    if (s.kind == ProjectionKind::Table) {
        const QJsonValue columns = spec.definition.value(u"columns"_s);
        if (!columns.isUndefined() && !columns.isObject())
            return invalid(spec.name, u"columns must be an object { name: \"text\" | \"integer\" | \"real\" }"_s);
        QSet<QString> seen;
        const QJsonObject cols = columns.toObject();
        for (auto it = cols.constBegin(); it != cols.constEnd(); ++it) {
            ColumnSpec c;
            c.name = it.key();
            if (!isIdentifier(c.name))
                return invalid(spec.name, u"column '%1': a column name must match [A-Za-z_][A-Za-z0-9_]*"_s.arg(c.name));
            if (ReservedColumns.contains(c.name, Qt::CaseInsensitive))
                return invalid(spec.name, u"column '%1' is reserved (the engine keeps the row's key in _key and the "
                                          "last event's position in _position)"_s.arg(c.name));
            if (seen.contains(c.name.toLower()))
                return invalid(spec.name, u"column '%1' is declared twice (SQL names ignore case)"_s.arg(c.name));
            seen.insert(c.name.toLower());
            const QString type = it.value().toString().toLower();
            if (type == u"text" || type == u"string")
                c.type = ColumnSpec::Type::Text;
            else if (type == u"integer" || type == u"int" || type == u"boolean")
                c.type = ColumnSpec::Type::Integer;
            else if (type == u"real" || type == u"number")
                c.type = ColumnSpec::Type::Real;
            else
                return invalid(spec.name, u"column '%1' has type '%2': use text, integer or real"_s.arg(
                                              c.name, it.value().toVariant().toString()));
            s.columns.append(c);
        }
    } else if (s.kind == ProjectionKind::Search) {
        const QJsonValue fields = spec.definition.value(u"fields"_s);
        if (!fields.isArray() || fields.toArray().isEmpty())
            return invalid(spec.name, u"a search projection needs fields: [\"name\", ...] (the indexed fields)"_s);
        QSet<QString> seen;
        for (const QJsonValue &f : fields.toArray()) {
            const QString field = f.toString();
            if (!isIdentifier(field))
                return invalid(spec.name, u"field '%1': a field name must match [A-Za-z_][A-Za-z0-9_]*"_s.arg(
                                              f.isString() ? field : QString::fromUtf8(QJsonDocument(QJsonArray{f})
                                                                                         .toJson(QJsonDocument::Compact))));
            if (ReservedColumns.contains(field, Qt::CaseInsensitive) || field.compare(u"rank"_s, Qt::CaseInsensitive) == 0)
                return invalid(spec.name, u"field '%1' is a reserved name"_s.arg(field));
            if (seen.contains(field.toLower()))
                return invalid(spec.name, u"field '%1' is listed twice"_s.arg(field));
            seen.insert(field.toLower());
            s.fields.append(field);
        }
    }
    return s;
}

QJsonObject ProjectionSchema::shape() const
{
    QJsonObject o{{u"kind"_s, projectionKindName(kind)}};
    if (kind == ProjectionKind::Table) {
        QJsonArray cols;
        for (const ColumnSpec &c : columns)
            cols.append(QJsonArray{c.name, c.typeName()});
        o.insert(u"columns"_s, cols);
    } else if (kind == ProjectionKind::Search) {
        o.insert(u"fields"_s, QJsonArray::fromStringList(fields));
    }
    return o;
}

Result<ProjectionSchema> ProjectionSchema::fromStored(const QString &name, const QJsonObject &shape)
{
    ProjectionSpec spec;
    spec.name = name;
    spec.kind = shape.value(u"kind"_s).toString();
    QJsonObject definition;
    QJsonObject columns;
    QStringList order;
    const QJsonArray cols = shape.value(u"columns"_s).toArray();
    for (const QJsonValue &c : cols) {
        columns.insert(c.toArray().at(0).toString(), c.toArray().at(1).toString());
        order << c.toArray().at(0).toString();
    }
    definition.insert(u"columns"_s, columns);
    definition.insert(u"fields"_s, shape.value(u"fields"_s));
    spec.definition = definition;
    auto s = fromSpec(spec);
    if (!s)
        return s;
    // Keep the stored column order (a QJsonObject sorts its keys).
    QList<ColumnSpec> ordered;
    for (const QString &n : std::as_const(order)) {
        if (const ColumnSpec *c = s->column(n))
            ordered.append(*c);
    }
    s->columns = ordered;
    return s;
}

QJsonObject ProjectionStatus::toJson() const
{
    QJsonObject o{{u"name"_s, name},
                  {u"kind"_s, projectionKindName(kind)},
                  {u"state"_s, projectionStateName(state)},
                  {u"position"_s, position},
                  {u"head"_s, head},
                  {u"lagEvents"_s, lagEvents},
                  {u"lagSeconds"_s, lagSeconds},
                  {u"eventsPerSecond"_s, eventsPerSecond},
                  {u"delayMs"_s, delayMs},
                  {u"generation"_s, generation},
                  {u"skipped"_s, skipped}};
    if (!lastError.isEmpty()) {
        o.insert(u"lastError"_s, lastError);
        if (errorPosition > 0) {
            o.insert(u"errorPosition"_s, errorPosition);
            o.insert(u"errorEventId"_s, errorEventId);
            o.insert(u"errorEventType"_s, errorEventType);
        }
    }
    if (rebuildPosition >= 0)
        o.insert(u"rebuildPosition"_s, rebuildPosition);
    if (shadowReady)
        o.insert(u"shadowReady"_s, true);
    if (!rebuildError.isEmpty())
        o.insert(u"rebuildError"_s, rebuildError);
    return o;
}

QJsonObject ReadRow::toJson() const
{
    return QJsonObject{{u"key"_s, key}, {u"position"_s, position}, {u"value"_s, value}};
}

Result<RowFilter> RowFilter::parse(const QString &expression)
{
    // Longest operators first: "<=" before "<".
    static const QList<QPair<QString, Op>> ops{
        {u"!="_s, Op::Ne}, {u"<="_s, Op::Le}, {u">="_s, Op::Ge}, {u"="_s, Op::Eq},      {u"<"_s, Op::Lt},
        {u">"_s, Op::Gt},  {u"~"_s, Op::Contains}, {u"^"_s, Op::Prefix},
    };
    qsizetype best = -1;
    Op op = Op::Eq;
    QString opText;
    for (const auto &[text, o] : ops) {
        const qsizetype at = expression.indexOf(text);
        if (at > 0 && (best < 0 || at < best || (at == best && text.size() > opText.size()))) {
            best = at;
            op = o;
            opText = text;
        }
    }
    if (best < 0)
        return Error::make(ErrorCode::Invalid,
                           u"filter '%1': expected COLUMN OP VALUE with OP one of = != < <= > >= ~ (contains) ^ (prefix)"_s
                               .arg(expression));
    RowFilter f;
    f.column = expression.left(best).trimmed();
    f.op = op;
    const QString value = expression.mid(best + opText.size());
    if (!ProjectionSchema::isIdentifier(f.column))
        return Error::make(ErrorCode::Invalid, u"filter '%1': '%2' is not a column name"_s.arg(expression, f.column));
    if (value.isEmpty()) {
        if (op == Op::Eq)
            f.op = Op::IsNull;
        else if (op == Op::Ne)
            f.op = Op::NotNull;
        else
            return Error::make(ErrorCode::Invalid, u"filter '%1' has no value"_s.arg(expression));
        return f;
    }
    bool isNumber = false;
    const double n = value.toDouble(&isNumber);
    if (isNumber && op != Op::Contains && op != Op::Prefix) {
        qint64 asInt = 0;
        bool isInt = false;
        asInt = value.toLongLong(&isInt);
        f.value = isInt ? QJsonValue(asInt) : QJsonValue(n);
    } else {
        f.value = value;
    }
    return f;
}

QJsonObject SearchHit::toJson() const
{
    return QJsonObject{{u"key"_s, key},
                       {u"rank"_s, rank},
                       {u"snippet"_s, snippet},
                       {u"document"_s, document},
                       {u"position"_s, position}};
}

QJsonObject Page::toJson() const
{
    return QJsonObject{{u"path"_s, path},       {u"title"_s, title},       {u"html"_s, html},
                       {u"data"_s, data},       {u"version"_s, version},   {u"etag"_s, etag},
                       {u"position"_s, position}};
}

QJsonObject PageInvalidation::toJson() const
{
    return QJsonObject{{u"seq"_s, seq},
                       {u"projection"_s, projection},
                       {u"position"_s, position},
                       {u"paths"_s, QJsonArray::fromStringList(paths)},
                       {u"recordedMs"_s, recordedMs}};
}

QJsonObject SkipRecord::toJson() const
{
    return QJsonObject{{u"seq"_s, seq},         {u"projection"_s, projection}, {u"position"_s, position},
                       {u"eventId"_s, eventId}, {u"eventType"_s, eventType},   {u"stream"_s, stream},
                       {u"error"_s, error},     {u"actor"_s, actor},           {u"reason"_s, reason},
                       {u"recordedMs"_s, recordedMs}};
}

QJsonObject ProjectionDiff::toJson() const
{
    QJsonArray list;
    for (const RowChange &c : samples) {
        QJsonObject o{{u"key"_s, c.key}};
        o.insert(u"change"_s, c.kind == RowChange::Kind::Added     ? u"added"_s
                              : c.kind == RowChange::Kind::Removed ? u"removed"_s
                                                                   : u"changed"_s);
        if (c.kind != RowChange::Kind::Added)
            o.insert(u"before"_s, c.before);
        if (c.kind != RowChange::Kind::Removed)
            o.insert(u"after"_s, c.after);
        list.append(o);
    }
    return QJsonObject{{u"projection"_s, projection}, {u"livePosition"_s, livePosition},
                       {u"shadowPosition"_s, shadowPosition}, {u"added"_s, added},
                       {u"removed"_s, removed},     {u"changed"_s, changed},
                       {u"unchanged"_s, unchanged}, {u"samples"_s, list}};
}

} // namespace es
