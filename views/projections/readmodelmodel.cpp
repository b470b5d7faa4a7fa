#include "readmodelmodel.h"

#include "readstore.h"

#include <QBrush>
#include <QColor>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>

using namespace Qt::StringLiterals;

namespace es {

ReadModelModel::ReadModelModel(QObject *parent)
    : QAbstractTableModel(parent)
{
    m_clock.start();
    m_fadeTimer.setInterval(60);
    connect(&m_fadeTimer, &QTimer::timeout, this, &ReadModelModel::tickHighlights);
}

void ReadModelModel::clear()
{
    setSource(nullptr, ProjectionSchema());
}

void ReadModelModel::setSource(ReadStore *store, const ProjectionSchema &schema, const ListQuery &query)
{
    beginResetModel();
    m_store = store;
    m_schema = schema;
    m_query = query;
    m_query.limit = PageSize;
    m_query.after.clear();
    m_rows.clear();
    m_cursor.clear();
    m_error.clear();
    m_changedAt.clear();
    m_fadeTimer.stop();
    m_fields.clear();
    switch (schema.kind) {
    case ProjectionKind::Table:
        for (const ColumnSpec &c : schema.columns)
            m_fields.append(c.name);
        break;
    case ProjectionKind::Search:
        m_fields = schema.fields;
        break;
    case ProjectionKind::Page:
        m_fields = {u"title"_s, u"version"_s, u"etag"_s};
        break;
    }
    if (m_store && !m_schema.name.isEmpty()) {
        auto page = m_store->list(m_schema.name, m_query);
        if (page) {
            m_rows = page->rows;
            m_cursor = page->nextCursor;
        } else {
            m_error = page.error().message;
        }
    }
    endReset();
    if (!m_error.isEmpty())
        Q_EMIT loadFailed(m_error);
    Q_EMIT rowsLoaded();
}

void ReadModelModel::refresh()
{
    if (!m_store || m_schema.name.isEmpty())
        return;
    // Re-read as many rows as were loaded, in as few pages as it takes.
    const int wanted = qMax<int>(PageSize, int(m_rows.size()));
    ListQuery q = m_query;
    q.limit = wanted;
    q.after.clear();
    auto page = m_store->list(m_schema.name, q);
    beginResetModel();
    if (page) {
        m_rows = page->rows;
        m_cursor = page->nextCursor;
        m_error.clear();
    } else {
        m_rows.clear();
        m_cursor.clear();
        m_error = page.error().message;
    }
    endReset();
    if (!m_error.isEmpty())
        Q_EMIT loadFailed(m_error);
    Q_EMIT rowsLoaded();
}

void ReadModelModel::endReset()
{
    // Views ask for more rows from their modelReset handlers: inserting then
    // would nest in the reset for whoever is notified after them.
    m_resetting = true;
    endResetModel();
    m_resetting = false;
}

bool ReadModelModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && m_store && !m_cursor.isEmpty() && !m_resetting;
}

void ReadModelModel::fetchMore(const QModelIndex &parent)
{
    if (!canFetchMore(parent))
        return;
    ListQuery q = m_query;
    q.after = m_cursor;
    auto page = m_store->list(m_schema.name, q);
    if (!page) {
        m_cursor.clear();
        fail(page.error().message);
        return;
    }
    m_cursor = page->nextCursor;
    if (!page->rows.isEmpty()) {
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(page->rows.size()) - 1);
        m_rows.append(page->rows);
        endInsertRows();
    }
    Q_EMIT rowsLoaded();
}

void ReadModelModel::fail(const QString &message)
{
    m_error = message;
    Q_EMIT loadFailed(message);
}

int ReadModelModel::rowOfKey(const QString &key) const
{
    for (int r = 0; r < m_rows.size(); ++r) {
        if (m_rows.at(r).key == key)
            return r;
    }
    return -1;
}

namespace {
int compareJson(const QJsonValue &a, const QJsonValue &b)
{
    if (a.isNull() || a.isUndefined())
        return (b.isNull() || b.isUndefined()) ? 0 : -1; // SQL NULLs first
    if (b.isNull() || b.isUndefined())
        return 1;
    if (a.isDouble() && b.isDouble())
        return a.toDouble() < b.toDouble() ? -1 : (a.toDouble() > b.toDouble() ? 1 : 0);
    if (a.isDouble() != b.isDouble())
        return a.isDouble() ? -1 : 1; // SQLite sorts numbers before text
    return QString::compare(ReadModelModel::displayValue(a), ReadModelModel::displayValue(b));
}
} // namespace

bool ReadModelModel::lessThan(const ReadRow &a, const ReadRow &b) const
{
    // As the read store orders: by the sort column with NULLs last (either direction), then by key.
    if (!m_query.sortBy.isEmpty()) {
        const QJsonValue va = a.value.value(m_query.sortBy);
        const QJsonValue vb = b.value.value(m_query.sortBy);
        const bool na = va.isNull() || va.isUndefined();
        const bool nb = vb.isNull() || vb.isUndefined();
        if (na != nb)
            return nb;
        if (!na) {
            if (const int c = compareJson(va, vb); c != 0)
                return m_query.descending ? c > 0 : c < 0;
        }
    }
    const int c = QString::compare(a.key, b.key);
    return m_query.descending ? c > 0 : c < 0;
}

void ReadModelModel::applyChanges(const QStringList &keys)
{
    if (!m_store || m_schema.name.isEmpty() || keys.isEmpty())
        return;
    if (keys.size() > MaxKeysPerUpdate) {
        refresh();
        return;
    }
    for (const QString &key : keys) {
        const int row = rowOfKey(key);
        auto found = m_store->byKey(m_schema.name, key);
        if (!found) {
            fail(found.error().message);
            return;
        }
        // A filtered view only re-reads rows it shows; new rows appear on refresh.
        const bool filtered = !m_query.filters.isEmpty();
        if (!found->has_value()) {
            if (row >= 0) {
                beginRemoveRows({}, row, row);
                m_rows.removeAt(row);
                endRemoveRows();
                m_changedAt.remove(key);
            }
            continue;
        }
        const ReadRow &fresh = **found;
        if (row >= 0) {
            m_rows[row] = fresh;
            markChanged(key);
            Q_EMIT dataChanged(index(row, 0), index(row, columnCount() - 1));
            if (!m_query.sortBy.isEmpty())
                resort(row);
            continue;
        }
        if (filtered)
            continue;
        // Where it sorts; beyond the loaded rows it comes with a later page.
        auto at = std::lower_bound(m_rows.cbegin(), m_rows.cend(), fresh,
                                   [this](const ReadRow &a, const ReadRow &b) { return lessThan(a, b); });
        const int pos = int(at - m_rows.cbegin());
        if (pos == m_rows.size() && !isComplete())
            continue;
        beginInsertRows({}, pos, pos);
        m_rows.insert(pos, fresh);
        endInsertRows();
        markChanged(key);
    }
}

void ReadModelModel::resort(int row)
{
    const bool early = row > 0 && lessThan(m_rows.at(row), m_rows.at(row - 1));
    const bool late = row + 1 < m_rows.size() && lessThan(m_rows.at(row + 1), m_rows.at(row));
    if (!early && !late)
        return;
    // Where it belongs among the others.
    int target = 0;
    for (int r = 0; r < m_rows.size(); ++r) {
        if (r != row && lessThan(m_rows.at(r), m_rows.at(row)))
            ++target;
    }
    if (target == m_rows.size() - 1 && !isComplete() && late) {
        // It sorts after the loaded rows: a later page brings it.
        beginRemoveRows({}, row, row);
        m_changedAt.remove(m_rows.at(row).key);
        m_rows.removeAt(row);
        endRemoveRows();
        return;
    }
    if (target == row)
        return;
    beginMoveRows({}, row, row, {}, target > row ? target + 1 : target);
    m_rows.move(row, target);
    endMoveRows();
}

void ReadModelModel::markChanged(const QString &key)
{
    m_changedAt.insert(key, m_clock.elapsed());
    if (!m_fadeTimer.isActive())
        m_fadeTimer.start();
}

double ReadModelModel::highlight(int row) const
{
    if (row < 0 || row >= m_rows.size())
        return 0;
    auto it = m_changedAt.constFind(m_rows.at(row).key);
    if (it == m_changedAt.constEnd())
        return 0;
    const qint64 age = m_clock.elapsed() - *it;
    return age >= HighlightMs ? 0 : 1.0 - double(age) / HighlightMs;
}

void ReadModelModel::tickHighlights()
{
    const qint64 now = m_clock.elapsed();
    int first = -1;
    int last = -1;
    for (int r = 0; r < m_rows.size(); ++r) {
        if (m_changedAt.contains(m_rows.at(r).key)) {
            if (first < 0)
                first = r;
            last = r;
        }
    }
    for (auto it = m_changedAt.begin(); it != m_changedAt.end();) {
        if (now - *it >= HighlightMs)
            it = m_changedAt.erase(it);
        else
            ++it;
    }
    if (first >= 0)
        Q_EMIT dataChanged(index(first, 0), index(last, columnCount() - 1), {Qt::BackgroundRole});
    if (m_changedAt.isEmpty())
        m_fadeTimer.stop();
}

QString ReadModelModel::fieldOf(int column) const
{
    if (column <= 0 || column > m_fields.size())
        return {};
    return m_fields.at(column - 1);
}

int ReadModelModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ReadModelModel::columnCount(const QModelIndex &parent) const
{
    // key, the fields, the position of the event that last wrote the row
    return parent.isValid() || m_schema.name.isEmpty() ? 0 : int(m_fields.size()) + 2;
}

QString ReadModelModel::displayValue(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return {};
    case QJsonValue::Bool:
        return value.toBool() ? u"true"_s : u"false"_s;
    case QJsonValue::Double: {
        const double d = value.toDouble();
        if (d == double(qint64(d)) && qAbs(d) < 1e15)
            return QString::number(qint64(d));
        return QString::number(d, 'g', 12);
    }
    case QJsonValue::String:
        return value.toString();
    case QJsonValue::Array:
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    }
    return {};
}

QVariant ReadModelModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ReadRow &row = m_rows.at(index.row());
    const int last = columnCount() - 1;
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        QString text;
        if (index.column() == 0)
            text = row.key;
        else if (index.column() == last)
            text = QString::number(row.position);
        else
            text = displayValue(row.value.value(m_fields.at(index.column() - 1)));
        if (role == Qt::DisplayRole && text.size() > 300)
            text = text.left(300) + u'…';
        return text;
    }
    if (role == Qt::TextAlignmentRole) {
        if (index.column() == last || (index.column() > 0 && row.value.value(fieldOf(index.column())).isDouble()))
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    }
    if (role == Qt::BackgroundRole) {
        const double h = highlight(index.row());
        if (h <= 0)
            return {};
        QColor c(0xff, 0xd5, 0x4f);
        c.setAlphaF(float(0.75 * h));
        return QBrush(c);
    }
    return {};
}

QVariant ReadModelModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= columnCount())
        return QAbstractTableModel::headerData(section, orientation, role);
    const int last = columnCount() - 1;
    if (role == Qt::DisplayRole) {
        if (section == 0)
            return m_schema.kind == ProjectionKind::Page ? tr("path") : tr("key");
        if (section == last)
            return tr("position");
        return m_fields.at(section - 1);
    }
    if (role == Qt::ToolTipRole) {
        if (section == last)
            return tr("The event that last wrote this row");
        if (section > 0 && m_schema.kind == ProjectionKind::Table) {
            if (const ColumnSpec *c = m_schema.column(m_fields.at(section - 1)))
                return tr("%1 (%2)").arg(c->name, c->typeName());
        }
    }
    return {};
}

} // namespace es
