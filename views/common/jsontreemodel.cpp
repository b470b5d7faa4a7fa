#include "jsontreemodel.h"

#include <QBrush>
#include <QColor>
#include <QFont>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace es {

struct JsonTreeModel::Node {
    QString key;
    QString path;
    QJsonValue value;
    QJsonValue before;
    Change change = Change::None;
    bool arrayIndex = false;
    Node *parent = nullptr;
    int row = 0;
    std::vector<std::unique_ptr<Node>> children;
};

JsonTreeModel::JsonTreeModel(QObject *parent)
    : QAbstractItemModel(parent)
    , m_root(std::make_unique<Node>())
{
}

JsonTreeModel::~JsonTreeModel() = default;

void JsonTreeModel::setJson(const QJsonValue &value)
{
    beginResetModel();
    m_root = std::make_unique<Node>();
    build(m_root.get(), value, {}, false);
    endResetModel();
}

void JsonTreeModel::setJson(const QJsonValue &value, const QJsonValue &before)
{
    beginResetModel();
    m_root = std::make_unique<Node>();
    build(m_root.get(), value, before, true);
    endResetModel();
}

void JsonTreeModel::setSections(const QList<Section> &sections)
{
    beginResetModel();
    m_root = std::make_unique<Node>();
    for (const Section &s : sections)
        addChild(m_root.get(), s.first, false, s.second, {}, false, false);
    endResetModel();
}

void JsonTreeModel::clear()
{
    beginResetModel();
    m_root = std::make_unique<Node>();
    endResetModel();
}

QString JsonTreeModel::childPath(const QString &parentPath, const QString &key, bool arrayIndex)
{
    if (arrayIndex)
        return parentPath + u'[' + key + u']';
    static const QRegularExpression identifier(u"^[A-Za-z_$][A-Za-z0-9_$]*$"_s);
    if (!identifier.match(key).hasMatch()) {
        // Quoted the JSON way, so the path can be pasted into code.
        const QString quoted = QString::fromUtf8(QJsonDocument(QJsonArray{key}).toJson(QJsonDocument::Compact));
        return parentPath + u'[' + quoted.mid(1).chopped(1) + u']';
    }
    return parentPath.isEmpty() ? key : parentPath + u'.' + key;
}

void JsonTreeModel::addChild(Node *parent, const QString &key, bool arrayIndex, const QJsonValue &value,
                             const QJsonValue &before, bool compare, bool hasBefore)
{
    auto child = std::make_unique<Node>();
    child->key = key;
    child->arrayIndex = arrayIndex;
    child->path = childPath(parent->path, key, arrayIndex);
    child->parent = parent;
    child->row = int(parent->children.size());
    Node *raw = child.get();
    parent->children.push_back(std::move(child));
    if (compare) {
        raw->before = before;
        raw->change = !hasBefore ? Change::Added : (value != before ? Change::Changed : Change::None);
    }
    build(raw, value, hasBefore ? before : QJsonValue(), compare && hasBefore);
    // Children of an added container are "added" too, but only the container is marked.
}

void JsonTreeModel::build(Node *node, const QJsonValue &value, const QJsonValue &before, bool compare)
{
    node->value = value;
    if (value.isObject()) {
        const QJsonObject o = value.toObject();
        const QJsonObject b = before.toObject();
        const bool sameKind = before.isObject();
        for (auto it = o.constBegin(); it != o.constEnd(); ++it)
            addChild(node, it.key(), false, it.value(), b.value(it.key()), compare,
                     sameKind && b.contains(it.key()));
        if (compare && sameKind) {
            for (auto it = b.constBegin(); it != b.constEnd(); ++it) {
                if (o.contains(it.key()))
                    continue;
                addChild(node, it.key(), false, it.value(), {}, false, false);
                Node *gone = node->children.back().get();
                gone->change = Change::Removed;
                gone->before = it.value();
            }
        }
    } else if (value.isArray()) {
        const QJsonArray a = value.toArray();
        const QJsonArray b = before.toArray();
        const bool sameKind = before.isArray();
        for (qsizetype i = 0; i < a.size(); ++i)
            addChild(node, QString::number(i), true, a.at(i), b.at(i), compare, sameKind && i < b.size());
        if (compare && sameKind) {
            for (qsizetype i = a.size(); i < b.size(); ++i) {
                addChild(node, QString::number(i), true, b.at(i), {}, false, false);
                Node *gone = node->children.back().get();
                gone->change = Change::Removed;
                gone->before = b.at(i);
            }
        }
    }
}

JsonTreeModel::Node *JsonTreeModel::nodeOf(const QModelIndex &index) const
{
    return index.isValid() ? static_cast<Node *>(index.internalPointer()) : m_root.get();
}

QModelIndex JsonTreeModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    Node *p = nodeOf(parent);
    return createIndex(row, column, p->children.at(std::size_t(row)).get());
}

QModelIndex JsonTreeModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    Node *p = nodeOf(child)->parent;
    if (!p || p == m_root.get())
        return {};
    return createIndex(p->row, 0, p);
}

int JsonTreeModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return int(nodeOf(parent)->children.size());
}

int JsonTreeModel::columnCount(const QModelIndex &parent) const
{
    Q_UNUSED(parent);
    return ColumnCount;
}

QString JsonTreeModel::displayText(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Object: {
        const qsizetype n = value.toObject().size();
        return n == 1 ? tr("{1 key}") : tr("{%1 keys}").arg(n);
    }
    case QJsonValue::Array: {
        const qsizetype n = value.toArray().size();
        return n == 1 ? tr("[1 item]") : tr("[%1 items]").arg(n);
    }
    case QJsonValue::Undefined:
        return {};
    default:
        // The JSON spelling: strings quoted, so "12" and 12 read differently.
        return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
    }
}

QString JsonTreeModel::copyText(const QJsonValue &value)
{
    if (value.isString())
        return value.toString();
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Indented)).trimmed();
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Indented)).trimmed();
    if (value.isUndefined())
        return {};
    return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
}

QVariant JsonTreeModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Node *n = nodeOf(index);
    switch (role) {
    case Qt::DisplayRole:
        if (index.column() == KeyColumn)
            return n->key;
        return displayText(n->change == Change::Removed ? n->before : n->value);
    case Qt::ToolTipRole: {
        QString tip = n->path;
        switch (n->change) {
        case Change::Added:
            tip += u'\n' + tr("Added");
            break;
        case Change::Changed:
            if (!n->value.isObject() && !n->value.isArray())
                tip += u'\n' + tr("Changed, was %1").arg(displayText(n->before));
            else
                tip += u'\n' + tr("Changed inside");
            break;
        case Change::Removed:
            tip += u'\n' + tr("Removed");
            break;
        case Change::None:
            break;
        }
        return tip;
    }
    case Qt::ForegroundRole:
        if (index.column() == ValueColumn) {
            switch (n->value.type()) {
            case QJsonValue::String:
                return QBrush(QColor(0x2e, 0x7d, 0x32));
            case QJsonValue::Double:
                return QBrush(QColor(0x15, 0x65, 0xc0));
            case QJsonValue::Bool:
            case QJsonValue::Null:
                return QBrush(QColor(0x6a, 0x1b, 0x9a));
            default:
                return QBrush(QColor(0x75, 0x75, 0x75));
            }
        }
        return {};
    case Qt::BackgroundRole:
        switch (n->change) {
        case Change::Added:
            return QBrush(QColor(0xc8, 0xe6, 0xc9));
        case Change::Changed:
            return QBrush(QColor(0xff, 0xec, 0xb3));
        case Change::Removed:
            return QBrush(QColor(0xff, 0xcd, 0xd2));
        case Change::None:
            return {};
        }
        return {};
    case Qt::FontRole:
        if (n->change != Change::None) {
            QFont f;
            f.setBold(n->change != Change::Removed);
            f.setStrikeOut(n->change == Change::Removed);
            return f;
        }
        return {};
    case PathRole:
        return n->path;
    case ValueRole:
        return QVariant::fromValue(n->change == Change::Removed ? n->before : n->value);
    case ChangeRole:
        return int(n->change);
    default:
        return {};
    }
}

QVariant JsonTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::DisplayRole)
        return section == KeyColumn ? tr("Key") : tr("Value");
    return {};
}

QString JsonTreeModel::pathOf(const QModelIndex &index) const
{
    return index.isValid() ? nodeOf(index)->path : QString();
}

QJsonValue JsonTreeModel::valueOf(const QModelIndex &index) const
{
    if (!index.isValid())
        return {};
    const Node *n = nodeOf(index);
    return n->change == Change::Removed ? n->before : n->value;
}

JsonTreeModel::Change JsonTreeModel::changeOf(const QModelIndex &index) const
{
    return index.isValid() ? nodeOf(index)->change : Change::None;
}

QModelIndex JsonTreeModel::indexOfPath(const QString &path) const
{
    // Depth-first; trees shown here are small (one event, one state).
    std::vector<const Node *> stack{m_root.get()};
    while (!stack.empty()) {
        const Node *n = stack.back();
        stack.pop_back();
        if (n != m_root.get() && n->path == path)
            return createIndex(n->row, 0, const_cast<Node *>(n));
        for (const auto &c : n->children)
            stack.push_back(c.get());
    }
    return {};
}

void JsonTreeModel::collectChanged(const Node *node, QStringList *out)
{
    for (const auto &c : node->children) {
        if (c->change == Change::None)
            continue;
        const qsizetype before = out->size();
        if (c->change == Change::Changed && !c->children.empty())
            collectChanged(c.get(), out);
        if (out->size() == before) // a leaf, or a container whose kind changed
            out->append(c->path);
    }
}

QStringList JsonTreeModel::changedPaths() const
{
    QStringList out;
    collectChanged(m_root.get(), &out);
    return out;
}

} // namespace es
