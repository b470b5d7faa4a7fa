#pragma once

#include <QAbstractItemModel>
#include <QJsonValue>
#include <QList>
#include <QStringList>

#include <memory>
#include <utility>
#include <vector>

namespace es {

// A JSON value as a tree (key, value), read-only. With a value to compare
// against, it marks what differs: keys added or changed, and keys removed
// (kept, struck out, with their old value) so a state diff reads in one tree.
class JsonTreeModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { KeyColumn, ValueColumn, ColumnCount };
    enum Role {
        PathRole = Qt::UserRole + 1, // "data.items[0].sku"
        ValueRole,                   // the QJsonValue (as a QVariant)
        ChangeRole,                  // int(Change)
    };
    enum class Change { None, Added, Changed, Removed };
    using Section = std::pair<QString, QJsonValue>;

    explicit JsonTreeModel(QObject *parent = nullptr);
    ~JsonTreeModel() override;

    void setJson(const QJsonValue &value);
    // Marks the differences from `before`.
    void setJson(const QJsonValue &value, const QJsonValue &before);
    // Top-level entries in this order (QJsonObject would sort them).
    void setSections(const QList<Section> &sections);
    void clear();

    QString pathOf(const QModelIndex &index) const;
    QJsonValue valueOf(const QModelIndex &index) const;
    Change changeOf(const QModelIndex &index) const;
    QModelIndex indexOfPath(const QString &path) const;
    // Paths of the leaves (or whole containers when added/removed) that differ.
    QStringList changedPaths() const;

    // What "copy value" puts on the clipboard: a string as is, a number or
    // boolean as JSON, an object or array as indented JSON.
    static QString copyText(const QJsonValue &value);
    // How a value reads in one line.
    static QString displayText(const QJsonValue &value);
    // "a.b", "a[2]", a["odd key"].
    static QString childPath(const QString &parentPath, const QString &key, bool arrayIndex);

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Node;
    Node *nodeOf(const QModelIndex &index) const;
    static void build(Node *node, const QJsonValue &value, const QJsonValue &before, bool compare);
    static void addChild(Node *parent, const QString &key, bool arrayIndex, const QJsonValue &value,
                         const QJsonValue &before, bool compare, bool hasBefore);
    static void collectChanged(const Node *node, QStringList *out);

    std::unique_ptr<Node> m_root;
};

} // namespace es
