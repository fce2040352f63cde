import type { Catalog } from './en.js';

/** 日本語カタログ。キーは en.ts と同じでなければならない（型検査で強制）。 */
export const ja: Catalog = {
	'rule.unknownKey': '{path}: 不明なキーです。削除するか、flows/examples/ と綴りを照らし合わせてください。',
	'rule.oneOf': '{path}: {allowed} のいずれかを指定してください。',
	'rule.required': '{path}: 必須です（{expected}）。',
	'rule.type': '{path}: {expected} で指定してください。',
	'rule.tooSmall': '{path}: 少なくとも {minimum} 個必要です。',
	'rule.tooBig': '{path}: 最大 {maximum} 個までです。',
	'rule.unreadable': '回答ファイルを読めません: {reason}',
	'rule.yamlSyntax': '回答ファイルが正しい YAML ではありません: {reason}',
	'rule.cidr.syntax':
		'{path}: 「{value}」は IPv4 の CIDR ブロックではありません。172.30.0.0/16 のように書いてください。',
	'rule.cidr.hostBits':
		'{path}: 「{value}」はホスト部が 0 ではありません。ネットワークアドレス {suggestion} を使ってください。',
	'rule.ip.syntax':
		'{path}: 「{value}」は IPv4 アドレスではありません。198.51.100.10 のように書いてください。',
	'rule.address.syntax':
		'{path}: 「{value}」はプレフィックス長付きのインターフェースアドレスではありません。172.16.0.1/30 のように書いてください。',
	'rule.address.notHost':
		'{path}: 「{value}」はサブネットのネットワークアドレスまたはブロードキャストアドレスです。ホストアドレスを選んでください。',
	'rule.vpc.prefix': '{path}: AWS の VPC は /16 から /28 までです。「{value}」は /{prefix} です。',
	'rule.subnet.prefix': '{path}: AWS のサブネットは /16 から /28 までです。「{value}」は /{prefix} です。',
	'rule.vpc.notPrivate':
		'{path}: 「{value}」はプライベート（RFC 1918）アドレスではありません。10.0.0.0/8、172.16.0.0/12、192.168.0.0/16 の範囲を推奨します。',
	'rule.vpc.amfManagementRange':
		'{path}: 「{value}」は 172.31.0.0/16 と重なっています。この範囲は AMF が既定の管理サブネットとして使います。アプライアンスは AMF 管理サブネットを 10.255.0.0/16 に切り替え、エリア内の他の AMF ノードをすべて再設定する必要が生じます。172.30.0.0/16 など別の範囲を選んでください。',
	'rule.subnet.outsideVpc':
		'{path}: 「{value}」は VPC のブロック {vpc} の中にありません。{vpc} の中から選んでください。',
	'rule.network.overlapsVpc':
		'{path}: 「{value}」は VPC のブロック {vpc} と重なっています。相互にルーティングできないため、どちらかを変更してください。',
	'rule.sg.sshFromAnywhere':
		'{path}: SSH がインターネット全体（0.0.0.0/0）に開いています。管理者のアドレス（例: 自分のグローバル IP の /32）に絞ってください。',
	'rule.keyPair.name':
		'{path}: 「{value}」はキーペア名として使えません（表示可能な ASCII 1〜255 文字、前後の空白なし）。',
	'rule.keyPair.needFile':
		'{path}: privateKeyFile（新しい鍵の保存先）か publicKeyFile（インポートする既存の公開鍵）を指定してください。',
	'rule.stack.name':
		'{path}: 「{value}」は英数字・「.」「_」「-」の 1〜64 文字で、英数字から始めてください。',
	'rule.tag.value': '{path}: タグの値は 1〜256 文字です。',
	'rule.instance.type': '{path}: 「{value}」はインスタンスタイプ名（t3.small など）ではありません。',
	'rule.instance.ami': '{path}: 「{value}」は AMI ID（ami-0123456789abcdef0 など）ではありません。',
	'rule.region.syntax': '{path}: 「{value}」は AWS リージョン名（ap-northeast-1 など）ではありません。',
	'rule.psk.reference':
		'{path}: 回答ファイルに事前共有鍵を書かないでください。env:変数名 か file:パス を使うか、省略して生成させてください（一度だけ表示されます）。',
	'rule.peers.count': '{path}: {flow} フローのピア数は {min}〜{max} です。',
	'rule.peers.duplicateName': '{path}: ピア名「{value}」が重複しています。',
	'secret.envMissing':
		'{reference}: 環境変数が設定されていません。export するか、psk を省略して生成させてください。',
	'secret.fileUnreadable': '{reference}: ファイルを読めません。パスと権限を確認してください。',
	'secret.empty': '{reference}: 秘密情報が空か、参照（env:変数名 または file:パス）になっていません。',
	'answers.invalid': '{file} の回答に誤りがあります:',
	'answers.warnings': '警告:',

	'cli.description': 'AMF Cloud アプライアンスを AWS に構築し、ルーターと接続して、トンネルを監視します。',
	'cli.error': 'エラー: {message}',
	'cli.usage': '使い方の誤り: {message}',
	'cli.answersRequired': '--answers FILE を指定してください。',
	'cli.monitorNeedsRouter':
		'monitor: 監視するルーターがありません。--host/--port/--user/--identity/--vendor を指定するか、先に apply を実行して状態ファイルにルーターを記録してください。',
	'cli.unknownVendor': '--vendor: 「{value}」には対応していません。{allowed} から選んでください。',
	'cli.vendorNotReady': '--vendor {value}: このベンダーのパーサーはまだありません。使えるもの: {allowed}。',
	'cli.unknownCommand':
		'--command: 「{value}」は {vendor} ドライバーが読むコマンドではありません。{allowed} から選んでください。',
	'cli.stateMissing':
		'{path} に状態ファイルがありません。まだ何も適用されていません。先に apply を実行するか、--state を指定してください。',
	'cli.configNotReady':
		'config: このバージョンには {flow} フロー用の {vendor} 設定生成がありません。使えるもの: {allowed}。',
	'cli.configUnknownSide':
		'--for: 「{value}」はアプライアンスでもピアでもありません。{allowed} から選んでください。',
	'cli.configNeedsInstance':
		'config: {path} にアプライアンスのアドレスがまだありません。先に apply を実行してください（パブリック IP とプライベート IP は AWS が割り当てます）。',
	'cli.configNeedsPsk':
		'{path}: 生成した鍵は一度だけ表示して保存しないため、再表示できません。env:変数名 か file:パス で指定してください。',
	'cli.positiveNumber': '{flag}: 「{value}」は正の数で指定してください。',
	'cli.portNumber':
		'{flag}: 「{value}」は 0〜65535 のポート番号で指定してください（0 は空いている任意のポート）。',
	'cli.flowUnknown': '--flow: 「{value}」は {allowed} のいずれかを指定してください。',
	'monitor.trustHostKey': '{host} のホスト鍵は未登録です: {type} {fingerprint}。信頼して記録しますか？',
	'cli.sandboxStarted': 'サンドボックス起動中: EC2 エンドポイント {endpoint}。Ctrl-C で停止します。',
	'cli.confirmApply': 'この変更を適用しますか？ 確定するには --yes を付けて再実行してください。',
	'cli.confirmDestroy': '上記をすべて削除しますか？ 確定するには --yes を付けて再実行してください。',
	'cli.noCredentials':
		'AWS の認証情報が見つかりません。AWS_PROFILE または AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY を設定するか、--profile を指定するか、--sandbox をお試しください。',
	'cli.interrupted': '中断しました。同じコマンドを再実行すると、止まったところから再開します。',

	'plan.title': '実行計画',
	'plan.create': '作成',
	'plan.keep': '維持',
	'plan.replace': '置き換え',
	'plan.summary': '作成 {create} 件、維持 {keep} 件、置き換え {replace} 件。',
	'plan.nothing': '変更はありません。すべて指定どおりに存在しています。',
	'apply.title': '適用',
	'apply.created': '作成しました',
	'apply.kept': '維持しました',
	'apply.step': '{kind} {name} を{action}',
	'apply.retry': '{action} が AWS に制限されました（{code}）。再試行します（{attempt} 回目）。',
	'apply.failed': '{kind} {name}: {code}: {message}（リクエスト ID {requestId}）',
	'apply.failedHint': '対処: {hint}',
	'apply.iamMissing': 'IAM の権限 {iamAction} がありません。管理者に許可を依頼してください。',
	'apply.done': '{seconds} 秒で適用しました。',
	'apply.pskGenerated':
		'{peer} 用の事前共有鍵を生成しました（この一度だけ表示し、どこにも保存しません。パスワードマネージャーに保管してください）: {psk}',
	'apply.configuring': 'ルーター {router} を設定中',
	'apply.configured': 'ルーター {router} を設定しました（{lines} 行）。',
	'apply.configureFailed': 'ルーター {router} が行「{line}」を受け付けませんでした: {error}',
	'destroy.deleted': '{kind} {id} を削除しました',
	'destroy.failed': '{kind} {id} を削除できませんでした: {code} {message}',
	'destroy.done': '{count} 件のリソースを削除しました。',
	'destroy.left': '{count} 件のリソースを削除できませんでした。状態ファイルに残してあります。',

	'kind.vpc': 'VPC',
	'kind.subnet': 'サブネット',
	'kind.internet-gateway': 'インターネットゲートウェイ',
	'kind.route-table': 'ルートテーブル',
	'kind.security-group': 'セキュリティグループ',
	'kind.key-pair': 'キーペア',
	'kind.instance': 'インスタンス',
	'kind.router-config': 'ルーター設定',

	'wizard.title': 'kakehashi 架け橋 — AWS 上の AMF Cloud',
	'wizard.sandboxBadge': 'サンドボックス（AWS アカウントは使いません）',
	'wizard.chooseFlow': '何を構築しますか？',
	'wizard.flow.single-appliance': 'シングルモード — AMF Cloud の VPN 機能でルーターと IPsec 接続',
	'wizard.flow.single-aws-vpn':
		'シングルモード — AWS の VPN 機能（仮想プライベートゲートウェイ、2 本のトンネル、BGP）',
	'wizard.flow.multi-tenant': 'マルチテナントモード — テナントごとに L2TPv3 over IPsec トンネル',
	'wizard.flowNotReady':
		'このフローはこのバージョンではまだ使えません。シングルモード（アプライアンスの VPN）を選んでください。',
	'wizard.step.credentials': 'API キー',
	'wizard.step.region': 'リージョン',
	'wizard.step.vpc': 'VPC',
	'wizard.step.subnet': 'サブネット',
	'wizard.step.internet': 'インターネットゲートウェイとルートテーブル',
	'wizard.step.securityGroup': 'セキュリティグループ',
	'wizard.step.keyPair': 'キーペア',
	'wizard.step.instance': 'インスタンス',
	'wizard.step.peer': 'お使いのルーター',
	'wizard.step.plan': '実行計画',
	'wizard.step.apply': '適用',
	'wizard.step.monitor': '監視',
	'wizard.help.credentials':
		'kakehashi は API キー（アクセスキー ID とシークレットアクセスキー）で AWS を操作します。プロファイル、SSO、環境変数を優先して使い、シークレットをディスクに書くことはありません。',
	'wizard.credentials.sandbox': '組み込みのサンドボックスを使います。テスト用の認証情報が自動で使われます。',
	'wizard.credentials.found': '{source} の認証情報を使います。',
	'wizard.help.region':
		'アプライアンスを動かす AWS リージョンです。拠点に近いものを選んでください（東京は ap-northeast-1）。',
	'wizard.help.vpc':
		'VPC は AWS 内のプライベートネットワークです。自社ネットワークと重ならない /16〜/28 のプライベートアドレスを指定してください。172.31.0.0/16 は AMF が管理サブネットに使うため避けてください。',
	'wizard.help.subnet':
		'サブネットにアプライアンスを置きます。VPC の範囲内であれば、VPC 全体である必要はありません。パブリック IP は自動で割り当てます。',
	'wizard.help.internet':
		'インターネットゲートウェイを VPC にアタッチし、0.0.0.0/0 をそこへ向けるルートテーブルを VPC のメインテーブルにします。これでアプライアンスがインターネットとルーターに届きます。',
	'wizard.help.securityGroup':
		'セキュリティグループはアプライアンスのファイアウォールです。管理者からの SSH、ユーザーネットワークからの全通信、ルーターからの UDP 500/4500（IKE、NAT-T）を許可します。',
	'wizard.help.keyPair':
		'アプライアンスへの SSH にはキーペアを使います。AWS が秘密鍵を渡すのは一度だけです。kakehashi は所有者のみ読み取り可（0400）で保存します。',
	'wizard.help.instance':
		'アプライアンスは AMF Cloud の AMI から EC2 インスタンスとして起動します。コンソールはなく、SSH だけが入口です。',
	'wizard.help.peer':
		'拠点のルーターです。グローバル IP、その配下の LAN、そして kakehashi が SSH で設定・監視するための接続先を指定します。',
	'wizard.help.plan': 'まだ何も作成していません。適用すると次のとおり実行します。',
	'wizard.question.region': 'リージョン',
	'wizard.question.stackName': 'スタック名（各 Name タグの接頭辞）',
	'wizard.question.vpcCidr': 'VPC の IPv4 CIDR ブロック',
	'wizard.question.subnetCidr': 'サブネットの IPv4 CIDR ブロック',
	'wizard.question.sgName': 'セキュリティグループ名',
	'wizard.question.sshFrom': 'SSH を許可する送信元（CIDR、カンマ区切り）',
	'wizard.question.userNetworks': 'ユーザーネットワーク（CIDR、カンマ区切り）',
	'wizard.question.keyName': 'キーペア名',
	'wizard.question.keyFile': '秘密鍵の保存先',
	'wizard.question.instanceType': 'インスタンスタイプ',
	'wizard.question.instanceName': 'インスタンスの Name タグ',
	'wizard.question.peerIp': 'ルーターのグローバル IP アドレス',
	'wizard.question.peerLan': 'ルーター配下の LAN（CIDR、カンマ区切り）',
	'wizard.inputHint': 'enter: 決定 · esc: 戻る · ctrl-c: 終了',
	'wizard.confirmWarning': 'このまま進めるにはもう一度 enter、変更するには値を編集してください。',
	'wizard.planConfirm': 'enter: この内容で適用 · esc: 戻る',
	'wizard.applying': '適用中…',
	'wizard.applyFailed': '適用が止まりました。原因を直して r で再試行（続きから再開）、q で終了します。',
	'wizard.applyDone': 'すべて整いました。enter でライブパネルを開きます。',
	'wizard.stepDone': '完了',
	'wizard.stepCurrent': '現在',
	'wizard.stepPending': '未着手',

	'panel.title': 'ライブパネル',
	'panel.router': 'ルーター',
	'panel.vendor': 'ベンダー',
	'panel.connection': '接続',
	'panel.lastPoll': '最終取得',
	'panel.never': '未取得',
	'panel.ago': '{seconds} 秒前',
	'panel.state.connecting': '接続中',
	'panel.state.ready': '接続済み',
	'panel.state.reconnecting': '再接続中',
	'panel.state.closed': '切断',
	'panel.state.idle': '待機',
	'panel.state.error': 'エラー',
	'panel.stale': '古いデータ — {seconds} 秒前のものです',
	'panel.ike': 'IKE / ISAKMP SA',
	'panel.ipsec': 'IPsec SA',
	'panel.bgp': 'BGP ネイバー',
	'panel.none': '（なし）',
	'panel.col.peer': '対向',
	'panel.col.state': '状態',
	'panel.col.version': '版',
	'panel.col.expires': '残り',
	'panel.col.spi': 'SPI 受信/送信',
	'panel.col.tunnel': 'トンネル',
	'panel.col.bytes': 'バイト 受信/送信',
	'panel.col.neighbor': 'ネイバー',
	'panel.col.as': 'AS',
	'panel.col.uptime': '経過',
	'panel.col.prefixes': '経路',
	'panel.footer': '?: ヘルプ · r: 今すぐ取得 · p: 一時停止 · q: 終了',
	'panel.paused': '一時停止中',
	'panel.error': '直近のエラー: {message}',
	'panel.unparsed': '解釈できなかった行: {count}',

	'monitor.passphrase': '{key} のパスフレーズ: ',
	'cli.monitorNeedsUser':
		'--user: {host} のユーザーが分かりません。--user を指定するか、~/.ssh/config のそのホストに User 行を書いてください。',
	'monitor.hostKeyUnknown':
		'{host} のホスト鍵は未登録です（フィンガープリント {fingerprint}）。ルーターの管理者に確認のうえ、--accept-new-host-key を付けて再実行すると信頼します。',
	'monitor.hostKeyChanged':
		'警告: {host} のホスト鍵が変わっています。期待値 {expected}、実際 {fingerprint}。攻撃またはルーターの再インストールの可能性があります。接続を拒否しました。理由が分かるまで古い鍵を削除しないでください。',
	'monitor.hostKeyRevoked':
		'{host} のホスト鍵は known_hosts で @revoked とされています。接続を拒否しました。',
	'monitor.unreachable': 'ルーター {router}（{host}:{port}）に接続できません: {message}',

	'sandbox.applianceName': 'AMF Cloud アプライアンス',
	'sandbox.siteRouterName': '拠点ルーター（AR4050S）',

	// Findings (monitor/findings.ts): `finding.<code>.message` / `.hint`、およびそれらが引用する値
	'finding.ike.no-sa.security-group.message':
		'{peer} との IKE SA がありません。セキュリティグループが {source} からの {missing} を許可していません。',
	'finding.ike.no-sa.security-group.hint':
		'アプライアンスのインスタンスのセキュリティグループに、ピアのグローバルアドレス {source}/32 からの UDP 500（ISAKMP）と UDP 4500（NAT-T）のインバウンドルールを追加してください。',
	'finding.ike.no-sa.message': '{peer} との IKE SA がありません。フェーズ 1 が始まっていません。',
	'finding.ike.no-sa.hint':
		'UDP 500 と 4500 が {peer} との間で往復できるか（拠点のファイアウォール、ISP、セキュリティグループ）、ルーターのトンネル宛先がこの外部アドレスになっているかを確認してください。AWS はルーター側から IKE を開始するのを待ちます（起動アクション「add」）。トンネル越しに ping を送るなどしてルーターから開始するか、トンネルの起動アクションを「start」にしてください。',
	'finding.ike.negotiating.message': '{peer} との IKE フェーズ 1 がネゴシエーション中のまま進みません。',
	'finding.ike.negotiating.hint':
		'ルーターのプロポーザル: {proposal}。このトンネルが受け付けるもの: {expected}。暗号化・完全性・DH グループ・IKE バージョンが異なる場合はルーター側を合わせてください。一致している場合は事前共有鍵の誤りが疑われます。外部アドレス {peer} 用に設定した鍵を照合してください（鍵はトンネルごとに異なり、順番ではなく外部アドレスで対応します）。鍵そのものはここには表示しません。',
	'finding.ipsec.missing.message': '{peer} との IKE は確立していますが、IPsec SA（フェーズ 2）がありません。',
	'finding.ipsec.missing.hint':
		'フェーズ 2 のプロポーザルまたは PFS グループが一致していません。このトンネルが受け付けるもの: {expected}。ルーターの IPsec プロファイル（暗号化、完全性、PFS グループ、ライフタイム。AWS は最大 3600 秒）を確認してください。',
	'finding.bgp.down.message':
		'{peer} との IPsec は確立していますが、{neighbor} との BGP が確立していません（状態: {state}）。',
	'finding.bgp.down.hint':
		'内側アドレス（ルーターのトンネルアドレスとネイバーのアドレス）、AS 番号（カスタマーゲートウェイの ASN がルーター自身の ASN と同じか）、BGP がトンネルインターフェース経由で張られているか、タイマー（AWS はホールドタイム 30 秒、キープアライブ 10 秒）を確認してください。',
	'finding.bgp.down.compare':
		'ルーターの設定: {configured}。設計値: ネイバー {expectedNeighbor}（AS {expectedAs}）、このルーター {expectedLocal}（AS {expectedLocalAs}）。',
	'finding.bgp.no-prefixes.message':
		'{neighbor} との BGP は確立していますが、経路を 1 つも受信していません。',
	'finding.bgp.no-prefixes.hint':
		'仮想プライベートゲートウェイが VPC にアタッチされていれば、AWS は {vpcCidr} を広報します。アタッチを確認してください。ネイバーが AWS でない場合は、相手の広報設定を確認してください。',
	'finding.aws.down-router-up.message':
		'AWS はトンネル {outsideIp} を DOWN と報告していますが、ルーターでは {routerPeer} への IPsec トンネルが確立しています。',
	'finding.aws.down-router-up.hint':
		'トンネルは順番ではなく外部アドレスで対応します。ルーターのトンネル宛先を {vpnConnectionId} の外部アドレス {outsideIp} にし、そのトンネル専用の事前共有鍵を設定してください。アドレスが既に一致している場合、AWS の状態表示は数分遅れることがあります。',
	'finding.aws.no-redundancy.message':
		'AWS の 2 本のトンネルのうち 1 本しか確立していません。{outsideIp} がダウンしており、通信は {upIp} を通っています。',
	'finding.aws.no-redundancy.hint':
		'通信は続いていますが冗長性がありません。もう 1 本のトンネルを確立させてください（確認事項は、確立しないトンネルの場合と同じです）。',
	'finding.aws.no-redundancy.maintenance':
		'AWS のメッセージ:「{statusMessage}」。AWS はメンテナンス時にトンネルのエンドポイントを 1 本ずつ交換します。想定内の動作なので、長く続かない限り対応は不要です。',
	'finding.vpc.route-missing.message':
		'VPC のルートテーブルに {prefixes} への経路がありません（ルート伝達: {propagation}）。',
	'finding.vpc.route-missing.hint':
		'ルートテーブルで仮想プライベートゲートウェイからのルート伝達を有効にしてください（有効にしないと VPN の経路は反映されません）。静的ルーティングの場合は、VPN 接続の静的ルートに拠点のプレフィックスを追加してください。',
	'finding.vpc.route-missing.appliance':
		'ルートテーブルに、{prefixes} 宛てでアプライアンスのインスタンス（ネットワークインターフェース）をターゲットとする経路を追加し、インスタンスの送信元/送信先チェックを無効にしてください。',
	'finding.clock.skew.message': '時計が AWS の時刻から {seconds} 秒ずれています。',
	'finding.clock.skew.hint':
		'AWS は 15 分以上ずれた時刻で署名されたリクエストを拒否します。また、時計がずれているとログや SA のライフタイムの突き合わせが難しくなります。NTP で時刻を同期してください。',
	'finding.appliance.failsafe.message':
		'アプライアンスが初期設定で起動しています。フェイルセーフによって設定がリセットされました。',
	'finding.appliance.failsafe.hint':
		'AMF Cloud は、AWS のサーバーに到達できない状態（eth0 の shutdown、誤った固定アドレス、ルーティング）や SSH サーバーの無効化が 5 分続くと初期設定で再起動し、元の設定を default_backup.cfg として残します。原因を取り除いてから「copy default_backup.cfg startup-config」と「reboot」で復元してください。',
	'finding.mtu.advice.message':
		'トンネルの MTU {mtu} / TCP MSS {mss} が AWS VPN で通せる値（内側 MTU 1399、MSS 1387）を超えています。',
	'finding.mtu.advice.hint':
		'トンネル内では経路 MTU 探索が働かないため、小さいパケットは通っても大きいパケットが通りません。トンネルの MTU を 1399 以下にし、TCP MSS を 1387 以下に調整してください（「ip tcp adjust-mss 1387」）。',
	'finding.ipsec.rekey-churn.message':
		'{peer} との SA が {minutes} 分間に {count} 回再確立されています。ライフタイム（{lifetime} 秒）から見て頻繁すぎます。',
	'finding.ipsec.rekey-churn.hint':
		'リキーの衝突か、DPD の設定が厳しすぎる可能性があります。ルーターのライフタイムを AWS 以下（フェーズ 1 は 28800 秒、フェーズ 2 は 3600 秒）にし、DPD 間隔を 10 秒以上にしてください。',
	'finding.value.unknown': '不明',
	'finding.value.none': 'BGP ネイバーなし',
	'finding.value.not-configured': '未設定',
	'finding.value.on': '有効',
	'finding.value.off': '無効',
	'finding.value.site-prefixes': '拠点のプレフィックス',
	'finding.value.vpc-cidr': 'VPC の CIDR',
	// 監視イベント（monitor/events.ts）: `event.<code>`
	'event.router.unreachable': '{router}: 到達できません（{host}）。',
	'event.router.reconnected': '{router}: 再び到達できるようになりました（{host}）。',
	'event.tunnel.up': '{router}: {peer} へのトンネルが確立しました。',
	'event.tunnel.down': '{router}: {peer} へのトンネルがダウンしました。',
	'event.ike.changed': '{router}: {peer} との IKE: {from} → {to}。',
	'event.ipsec.changed': '{router}: {peer} との IPsec: {from} → {to}。',
	'event.bgp.changed': '{router}: {neighbor} との BGP: {from} → {to}。',
	'event.sa.rekey': '{router}: {peer} との IPsec SA がリキーされました（SPI {from} → {to}）。',
	'event.aws.changed':
		'{router}: AWS によるとトンネル {peer} は {to} になりました（以前は {from}）。{message}',
	// Panel (issue 5)
	'panel.hint': '?:ヘルプ /:絞込 enter:開く esc:戻る r:取得 p:停止 l:生出力 s:ssh e:出力 q:終了',
	'panel.routers': 'ルーター一覧',
	'panel.col.router': 'ルーター',
	'panel.col.address': 'アドレス',
	'panel.col.connection': '接続',
	'panel.col.tunnelsUp': 'トンネル',
	'panel.col.findings': '指摘',
	'panel.col.p1': 'P1',
	'panel.col.p2': 'P2',
	'panel.col.bgpState': 'BGP',
	'panel.col.aws': 'AWS',
	'panel.col.in': '受信/s',
	'panel.col.out': '送信/s',
	'panel.tunnelsUp': '{up}/{total} 稼働',
	'panel.findingCounts': 'エラー {errors} 警告 {warnings}',
	'panel.pollTook': '取得 {ms} ms',
	'panel.staleShort': '古いデータ {seconds}秒',
	'panel.noTunnels': 'このルーターはまだトンネルを報告していません。',
	'panel.noRouters': '監視するルーターがありません。',
	'panel.otherBgp': 'どのトンネルにも属さない BGP ネイバー',
	'panel.findings': '診断',
	'panel.noFindings': '問題は見つかっていません。',
	'panel.moreFindings': '… ほか {count} 件（トンネルで enter、または e で全件を出力）',
	'panel.events': 'イベント',
	'panel.noEvents': 'まだ変化はありません。',
	'panel.filterLabel': '絞り込み: {text}',
	'panel.filterEditing': '絞り込み: {text}▏（enter で確定、esc で解除）',
	'panel.filterNone': '「{text}」に一致するものはありません。',
	'panel.detail.title': 'トンネル {name} — {router}',
	'panel.detail.phase1': 'フェーズ 1（IKE）',
	'panel.detail.phase2': 'フェーズ 2（IPsec SA）',
	'panel.detail.bgp': 'BGP',
	'panel.detail.aws': 'AWS テレメトリ',
	'panel.detail.traffic': '通信量',
	'panel.detail.raw': '生出力: このトンネルに関する行',
	'panel.detail.missing': 'ありません',
	'panel.detail.ike':
		'{state} · IKEv{version} · {encryption}/{integrity}/DH {dhGroup} · 残り {expires} · NAT-T {nat} · 自側 {local}',
	'panel.detail.ipsec':
		'{state} {tunnel} · SPI 受信 {spiIn} 送信 {spiOut} · {encryption}/{integrity} · 残り {expires}',
	'panel.detail.counters':
		'バイト 受信 {bytesIn} 送信 {bytesOut} · パケット 受信 {packetsIn} 送信 {packetsOut}',
	'panel.detail.bgpLine': '{neighbor} AS {as} · {state} · 経過 {uptime} · 受信経路 {prefixes}',
	'panel.detail.awsLine': '{id} · {status} · 受理経路 {routes} · 最終変化 {changed} {message}',
	'panel.detail.rates': '受信 {in}/s  送信 {out}/s',
	'panel.detail.back': 'esc: トンネル一覧へ戻る',
	'panel.raw.title': '直近の取得の生出力 — {router}',
	'panel.raw.none': 'まだ取得していません。',
	'panel.raw.back': 'esc: 戻る',
	'panel.help.title': 'キー操作',
	'panel.help.help': 'このヘルプを表示／非表示',
	'panel.help.filter': 'トンネルやルーターを文字で絞り込む（enter で確定、esc で解除）',
	'panel.help.move': '選択を移動（j / k も可）',
	'panel.help.switch': '次／前のルーター',
	'panel.help.enter': '開く: 一覧ではルーター、表ではトンネルの詳細',
	'panel.help.back': '戻る: トンネル一覧、さらにルーター一覧へ',
	'panel.help.poll': '今すぐルーターから取得',
	'panel.help.pause': 'このルーターの取得を一時停止／再開',
	'panel.help.raw': '直近の取得の生出力',
	'panel.help.shell': 'ルーターへの対話 SSH シェル（終了するとパネルに戻ります）',
	'panel.help.export': 'トラブルシューティング用バンドルをファイルに出力（PSK と鍵は伏せ字）',
	'panel.help.quit': '終了',
	'panel.help.stale': '古いデータ: ルーターが応答しなくなりました。表示は最後に取得できたデータです。',
	'panel.shellUnavailable': 'この画面からは SSH シェルを開けません。',
	'panel.exportUnavailable': 'この画面からはバンドルを出力できません。',
	'panel.exporting': 'トラブルシューティング用バンドルを書き出しています…',
	'panel.exported': 'トラブルシューティング用バンドルを {path} に書き出しました（PSK と鍵は伏せ字）。',
	'panel.exportFailed': 'トラブルシューティング用バンドルを書き出せません: {message}',
	'panel.shellFailed': '{router} への SSH シェルが失敗しました: {message}',
	'panel.shellNotConnected':
		'{router} への SSH シェルには監視で検証したホスト鍵が必要です。接続されてからもう一度 s を押してください。',
	'cli.monitorMetrics': 'Prometheus メトリクス: {url}',
	'cli.monitorMetricsBad':
		'--metrics: 「{value}」は HOST:PORT 形式で指定してください（例: 127.0.0.1:9464）。',
	// Modes and configs (issue 7)
	'rule.vpn.amazonAsn.range':
		'{path}: {value} はプライベート ASN ではありません。仮想プライベートゲートウェイの Amazon 側 ASN は 64512–65534 または 4200000000–4294967294 です（既定値 64512）。',
	'rule.vpn.asn.range':
		'{path}: {value} は AWS が受け付ける BGP ASN（1–4294967294）ではありません。ルーターの ASN（例: 65000）を指定してください。',
	'rule.vpn.asn.reserved':
		'{path}: ASN {value} は AWS の予約済み ASN です（7224、9059、10124、17943 はカスタマーゲートウェイに使えません）。65000 など別の値を選んでください。',
	'rule.vpn.asn.sameAsAmazon':
		'{path}: ASN {value} は Amazon 側の ASN と同じで、BGP が確立しません。カスタマーゲートウェイには別の ASN（例: 65000）を指定してください。',
	'rule.vpn.psk.length': '{path}: トンネルの事前共有鍵は 8–64 文字です（現在 {length} 文字）。',
	'rule.vpn.psk.characters':
		'{path}: トンネルの事前共有鍵に使えるのは英字、数字、「.」と「_」だけです。それ以外の文字を取り除いてください。',
	'rule.vpn.psk.leadingZero':
		'{path}: AWS は 0 で始まる事前共有鍵を受け付けません。先頭の文字を変えてください。',
	'rule.vpn.insideCidr.prefix':
		'{path}: "{value}" は /30（4 アドレス）にしてください（例: 169.254.10.0/30）。',
	'rule.vpn.insideCidr.linkLocal':
		'{path}: "{value}" は 169.254.0.0/16 の範囲外です。169.254.10.0/30 のような /30 を選んでください。',
	'rule.vpn.insideCidr.reserved':
		'{path}: "{value}" は AWS の予約範囲です（169.254.0.0/30〜169.254.5.0/30 と 169.254.169.252/30）。別の /30 を選んでください。',
	'rule.vpn.insideCidr.duplicate':
		'{path}: "{value}" は {other} で使用済みです。内部 CIDR は仮想プライベートゲートウェイごとに一意である必要があります。',
	'rule.vpn.ikeVersion': '{path}: "{value}" は AWS が提供する IKE バージョン（{allowed}）ではありません。',
	'rule.vpn.proposal': '{path}: "{value}" は AWS で使えません。{allowed} から選んでください。',
	'rule.vpn.lifetime.range': '{path}: {value} 秒は AWS が許す {min}–{max} 秒の範囲外です。',
	'rule.vpn.lifetime.order':
		'{path}: フェーズ 2 のライフタイム（{phase2} 秒）はフェーズ 1 のライフタイム（{phase1} 秒）より短くしてください。',
	'rule.vpn.dpdTimeout': '{path}: AWS の DPD タイムアウトは 30 秒以上が必要です（指定値 {value}）。',
	'rule.tenant.duplicateName':
		'{path}: ISAKMP 名 "{value}" は {other} で使用済みです。テナントごとに別の名前（vaa1、vaa2…）が必要です。',
	'rule.tenant.duplicateTunnel':
		'{path}: アプライアンスのトンネルインターフェース "{value}" は {other} で使用済みです。テナントごとに別のもの（tunnel1、tunnel2…）を指定してください。',
	'rule.tenant.tunnelName': '{path}: "{value}" はトンネルインターフェース名（例: tunnel1）ではありません。',
	'rule.tenant.l2tpv3Same':
		'{path}: L2TPv3 のローカル ID とリモート ID がどちらも {value} です。異なる値にしてください（例: 11 と 12）。',
	'rule.tenant.duplicateL2tpv3':
		'{path}: L2TPv3 ID {value} は {other} で使用済みです。テナントごとに別の組（11/12、21/22…）が必要です。',
	'rule.vpn.customerIpPrivate':
		'{path}: {value} はプライベートアドレスです。AWS はインターネット経由でカスタマーゲートウェイに接続するため、グローバルアドレスを指定してください（ルーターは NAT の内側となり NAT トラバーサルが必要です）。',
	'rule.vpn.staticRoutesUnused':
		'{path}: 静的ルートは静的ルーティングでのみ使われます。BGP ではルーターが自分のネットワークを広告します。削除するか routing: static にしてください。',
	'rule.tenant.duplicatePsk':
		'{path}: {other} と同じ事前共有鍵です。テナントごとに別の鍵が必要です。psk を省略すると自動生成されます。',
	// AWS flow (issue 3)
	'flow.wait.state': '待機中: AWS の状態は「{state}」',
	'flow.wait.notVisible': '待機中: まだ見えません（作成直後のリソースが AWS に現れるまで少しかかります）',
	'flow.note.rulesAdded': 'インバウンドルールを {count} 件、1 回の呼び出しで追加しました',
	'flow.keep.rulesMissing': '追加するインバウンドルールが {count} 件あります',
	'flow.keep.instanceType':
		'インスタンスタイプは {actual} ですが、回答では {wanted} です。アプライアンスはそのまま維持します（タイプの変更はコンソールでインスタンスを停止してから行ってください）',
	'flow.replace.cidr': 'CIDR {from} → {to}',
	'flow.replace.zone': 'アベイラビリティーゾーン {from} → {to}',
	'flow.replace.name': '名前 {from} → {to}',
	'flow.replace.ami': 'AMI {from} → {to}',
	'flow.replace.parent': '{parent}が置き換えられるため',
	'flow.replace.keyMismatch': '{path} はこのキーペアの秘密鍵ではありません',
	'flow.replace.keyLost': '秘密鍵が {path} になく、AWS は秘密鍵を二度と渡しません',
	'flow.replace.deletingFirst': '先に削除します: {reason}',
	'flow.note.deleted': '削除しました',
	'flow.note.keySaved': '秘密鍵を {path} に保存しました（モード 0400、所有者のみ読み取り可）',
	'flow.note.keyImported': '公開鍵 {path} をキーペア {name} としてインポートしました',
	'flow.note.keyImportedFromPem':
		'{path} には既に秘密鍵があります。その公開鍵をキーペア {name} としてインポートしました（ファイルは上書きしていません）',
	'flow.note.keyLeftOnDisk':
		'AWS 側のキーペアは削除しました。秘密鍵ファイル {path} はディスクに残してあります（不要になったらご自身で削除してください）',
	'flow.note.instanceStarting': 'インスタンスが停止していたため起動します',
	'flow.note.instanceAddress': 'パブリック IP {publicIp}、プライベート IP {privateIp}',
	'flow.note.consoleEmpty':
		'システムログ（GetConsoleOutput）はまだ空です。AWS は独自の周期で更新するため、起動から数分後に表示されるのが普通です。後で EC2 コンソール（アクション → モニタリングとトラブルシューティング → システムログを取得）で確認してください。',
	'flow.note.routeTableAssociated': 'ルートテーブル {id} はまだ {subnet} に関連付けられています',
	'flow.note.consoleLine': 'システムログ: {line}',
	'flow.note.clockSkew':
		'この PC の時計は AWS より {seconds} 秒{direction}います。AWS は 15 分以上ずれた署名のリクエストを拒否します。NTP で時刻を同期してください（例: 「sudo timedatectl set-ntp true」）。',
	'flow.clock.ahead': '進んで',
	'flow.clock.behind': '遅れて',
	'flow.retry.throttled':
		'{operation} が AWS に制限されました（{code}）。SDK が速度を落として再試行します（{attempt} 回目）。',
	'flow.retry.transient': '{operation} が {code} で失敗しました。再試行します（{attempt} 回目）。',
	'flow.retry.dependency':
		'{code}: まだ依存しているものがあります（インスタンス終了後もネットワークインターフェイスはしばらく残ります）。再試行します（{attempt} 回目）。',
	'flow.destroy.leftAlone': 'kakehashi 以前から存在していたため、そのままにしました',
	'flow.destroy.notSupported':
		'kakehashi destroy は {kind} をまだ削除できません。{id} はご自身で削除してください。',
	'flow.destroy.failedHead': '削除できず、状態ファイルに残したもの:',
	'flow.destroy.keptHead': 'そのままにしたもの（kakehashi 以前から存在）:',
	'flow.error.notOurs':
		'{kind} {id} は置き換えが必要です（{reason}）が、kakehashi が作成したものではないため削除しません。回答をこのリソースに合わせるか、ご自身で削除してください。',
	'flow.error.keyPairMissing':
		'キーペア「{name}」は AWS に既にありますが、秘密鍵が {path} にありません。AWS は秘密鍵を二度と渡しません。そのキーペアを削除する（EC2 → キーペア）と kakehashi が新しく作成します。または PEM をそのパスに置く（keyPair.privateKeyFile で指定する）か、別のキーペア名を指定してください。',
	'flow.error.keyPairMismatch':
		'{path} はキーペア「{name}」の秘密鍵ではありません（フィンガープリントが異なります）。keyPair.privateKeyFile で正しい PEM を指定するか、別のキーペア名を指定してください。',
	'flow.error.noImage':
		'起動する AMI がありません。instance.ami が未指定で、{region} にこのアカウントの vaa* という名前のイメージがありません。先にベンダーの VHD をインポートする（kakehashi image import）か、instance.ami を指定してください。',
	'flow.error.mainRouteTable':
		'ルートテーブル {id} は {vpc} のメインルートテーブルで、その役割を引き継げる他のテーブルがありません。コンソールで別のテーブルをメインにしてから、もう一度 destroy を実行してください。',
	'flow.error.parentMissing': '{kind} には {parent} が必要ですが、まだありません。',
	'flow.error.runInstancesTerminated':
		'どのクライアントトークンでも RunInstances が終了済みのインスタンスを返しました。AMI とインスタンスタイプを確認してから再実行してください。',
	'flow.error.stopped': '{kind} {name} で停止しました: {code}。{message}',
	'flow.error.requestId': 'AWS リクエスト ID: {requestId}（AWS サポートへの問い合わせ時に伝えてください）。',
	'flow.error.regionMismatch':
		'--region {flag} が {file} の region: {region} と異なります。スタックの場所は回答ファイルで決まります。どちらかを合わせてください。',
	'flow.error.stateRegionMismatch':
		'--region {flag} が {file} に記録されたリージョン {region}（スタックのある場所）と異なります。--region を外すか、そのリージョンの状態ファイルを指定してください。',
	'flow.action.delete': '削除',
	'flow.action.adopt': '引き継ぎ',
	'flow.stateFile.unreadable':
		'{path}: 状態ファイルを読めません（{detail}）。権限を確認するか、別の --state を指定してください。',
	'flow.stateFile.corrupt':
		'{path}: 状態ファイルが壊れています（{detail}）。そのままにしてあります。バックアップから戻すか、別の場所へ移してください。',
	'flow.stateFile.foreign':
		'{path}: kakehashi の状態ファイルではありません（{detail}）。そのままにしてあります。別の --state を指定してください。',
	'flow.stateFile.version':
		'{path}: 状態ファイルは新しい kakehashi が書いたものです（{detail}）。kakehashi を更新してください。',
	'flow.stateFile.secret': '{path}: 状態ファイルに秘密情報を書き込むことはできません（{detail}）。',
	'flow.stateFile.mismatch':
		'{path}: このファイルには {region} のスタック「{stack}」が記録されていますが、回答は {wantedRegion} の「{wantedStack}」です。別のファイルを --state で指定するか、先にそのスタックを destroy してください。',
	'flow.error.waitTimeout':
		'{id} を {seconds} 秒待ちましたが、準備が整いませんでした（AWS が最後に報告した状態: {state}）。',
	'flow.error.instanceStopped':
		'インスタンス {id} は起動せず {state} になりました（AWS の説明: {reason}）。AMI とインスタンスタイプを確認してから再実行してください。',
	'flow.parent.vpc': 'VPC',
	'flow.parent.subnet': 'サブネット',
	'flow.parent.internet-gateway': 'インターネットゲートウェイ',
	'flow.parent.security-group': 'セキュリティグループ',
	'flow.parent.key-pair': 'キーペア',
	'awsError.unauthorized':
		'この IAM ID には {iamAction} を呼び出す権限がありません。管理者にポリシーへ {iamAction} を追加してもらってから再実行してください（続きから再開します）。',
	'awsError.unauthorizedUnknown':
		'この IAM ID には、この手順に必要な権限がありません。管理者にポリシーを確認してもらってから再実行してください。',
	'awsError.authFailure':
		'AWS が認証情報を受け付けませんでした。アクセスキー ID が誤っている・削除済み・無効であるか、シークレットが対応していません。使用中のプロファイルまたはキーを確認してください（認証情報の手順でアカウントと ID を表示します）。',
	'awsError.clockSkew':
		'リクエストが期限切れとして拒否されました。この PC の時計がずれている可能性があります。AWS が許容するずれは 15 分までです。NTP で時刻を同期してから再実行してください。',
	'awsError.clockSkewMeasured':
		'リクエストが期限切れとして拒否されました。この PC の時計は AWS と {seconds} 秒ずれており、AWS が許容するのは 15 分までです。NTP で時刻を同期（例: 「sudo timedatectl set-ntp true」）してから再実行してください。',
	'awsError.expiredToken':
		'一時的な認証情報の有効期限が切れています。もう一度サインイン（SSO の場合: aws sso login --profile 名前）してから再実行してください。',
	'awsError.throttled':
		'AWS がこのアカウントの API 呼び出しを制限しています。SDK は速度を落として再試行済みです。1 分ほど待ってから再実行してください（続きから再開します）。',
	'awsError.network':
		'{endpoint} に接続できません。ネットワーク、プロキシ、--endpoint-url を確認してから再実行してください。',
	'awsError.noAmi':
		'このリージョンにその AMI はありません。先にインポートする（kakehashi image import）か、instance.ami にこのリージョンの AMI ID を指定してください。',
	'awsError.invalidParameterValue':
		'kakehashi が送った値を AWS が受け付けませんでした（{message}）。メッセージが示す回答の項目を確認してください。正しく見える場合は、接続先がその値に対応していない可能性があります。',
	'awsError.vpcLimit':
		'このリージョンの VPC 数がアカウントの上限（既定 5）に達しています。不要な VPC を削除するか、Service Quotas（Amazon VPC → リージョンあたりの VPC）で引き上げを申請してください。',
	'awsError.addressLimit':
		'このリージョンの Elastic IP アドレスを使い切っています（既定 5）。不要なものを解放するか、Service Quotas で引き上げを申請してください。',
	'awsError.igwLimit':
		'このリージョンのインターネットゲートウェイ数が上限に達しています。不要なものを削除するか、Service Quotas で引き上げを申請してください。',
	'awsError.sgLimit':
		'この VPC のセキュリティグループ数が上限に達しています。不要なものを削除するか、Service Quotas で引き上げを申請してください。',
	'awsError.rulesLimit':
		'セキュリティグループのルール数が上限（既定でインバウンド 60）に達しています。ネットワークをまとめるか、Service Quotas で引き上げを申請してください。',
	'awsError.instanceLimit':
		'このリージョンでこの種類のインスタンス（または vCPU）をこれ以上実行できません。不要なインスタンスを停止・終了するか、Service Quotas（EC2 → オンデマンドインスタンスの実行）で引き上げを申請してください。',
	'awsError.capacity':
		'このアベイラビリティーゾーンには今、このインスタンスタイプの空き容量がありません。時間をおいて再実行するか、別のゾーン（subnet.availabilityZone）またはインスタンスタイプ（instance.type）を選んでください。',
	'awsError.unsupported':
		'ここではこのリクエストに対応していません（{message}）。多くの場合、そのアベイラビリティーゾーンでインスタンスタイプが提供されていません。別のゾーンかタイプを選んでください。',
	'awsError.optIn':
		'このリージョンはアカウントで有効になっていません（または AMI にサブスクリプションが必要です）。アカウント設定でリージョンを有効にするか、別のリージョンを選んでください。',
	'awsError.dependency':
		'まだ依存しているもの（インスタンス、ネットワークインターフェイス、別のルートテーブルやグループ）があります。依存関係が解消されるまで再試行しました。使用しているものを削除してから、もう一度 destroy を実行してください。',
	'awsError.keyPairDuplicate':
		'同じ名前のキーペアが既にあります。別の名前にするか、先にそれを削除してください。',
	'awsError.groupDuplicate':
		'VPC に同じ名前のセキュリティグループが既にあります。別の名前にするか、先にそれを削除してください。',
	'awsError.idempotentMismatch':
		'同じクライアントトークンの以前の RunInstances が別の内容を要求していました。再実行してください。繰り返す場合は状態ファイルのインスタンスの記録を削除してください。',
	'awsError.waitTimeout':
		'AWS はまだ処理中の可能性があります。同じコマンドを再実行すると続きから再開します。',
	'awsError.duplicateStackResource':
		'同じ種類のリソース 2 つにこのスタックのタグが付いています。不要な方を削除する（またはタグを外す）してから再実行してください。',
	'awsError.noCredentials':
		'AWS の認証情報が見つかりません。AWS_PROFILE か AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY を設定する、--profile を指定する、aws sso login でサインインする、または --sandbox をお試しください。',
	'awsError.internal':
		'AWS 内部でエラーが発生しました。通常は一時的なものです。再実行してください（続きから再開します）。',
	'credentials.source.env': '環境変数（AWS_ACCESS_KEY_ID）',
	'credentials.source.profile': 'プロファイル「{profile}」（{type}）',
	'credentials.source.chain': '既定の検索順（環境変数、プロファイル、SSO、インスタンスロール）',
	'credentials.source.typed': '今入力したアクセスキー（メモリ上のみ）',
	'credentials.source.sandbox': 'サンドボックスのテスト用認証情報',
	'credentials.type.static': 'アクセスキー',
	'credentials.type.sso': 'SSO',
	'credentials.type.process': '認証情報プロセス',
	'credentials.type.role': 'ロールの引き受け',
	'credentials.type.webIdentity': 'Web ID',
	'credentials.type.other': 'プロファイル',
	'credentials.choose': 'どの認証情報を使いますか？',
	'credentials.verifying': 'AWS で認証情報を確認しています（STS GetCallerIdentity）…',
	'credentials.verified': 'アカウント {account} · {arn}',
	'credentials.failed': 'この認証情報は使えません: {code}。{hint}',
	'credentials.typeKeys': 'アクセスキーを入力する',
	'credentials.accessKeyId': 'アクセスキー ID',
	'credentials.secretAccessKey': 'シークレットアクセスキー（表示せず、ディスクにも書きません）',
	'credentials.saveProfile':
		'このキーを ~/.aws/credentials にプロファイルとして保存しますか？ プロファイル名を入力してください（空欄ならメモリ上のみ）',
	'credentials.saved': 'プロファイル「{profile}」として {file} に保存しました（モード 0600）。',
	'credentials.continue': 'Enter: 次へ · Esc: 別の認証情報を選ぶ',
	'credentials.keyIdSyntax': 'アクセスキー ID は 16〜128 文字の英数字です（例: AKIAIOSFODNN7EXAMPLE）。',
	'region.loading': 'このアカウントで使えるリージョンを AWS に問い合わせています（DescribeRegions）…',
	'region.zone': 'アベイラビリティーゾーン',
	'region.anyZone': '指定しない（AWS が選択）',
	'region.failed': 'リージョンを一覧できませんでした: {message}。リージョン名を入力してください。',
	'choice.hint': '↑/↓: 選択 · Enter: 決定 · Esc: 戻る',
	'rule.instance.amiNotFound':
		'{path}: このアカウントには {region} に「{value}」という名前の利用可能なイメージがありません。先にインポートするか（kakehashi image import）、AMI ID または自分のイメージの正確な名前を指定してください。',
	'rule.instance.typeNotOffered':
		'{path}: インスタンスタイプ「{value}」は {location} では提供されていません。提供されているもの（例: {examples}）を選んでください。',
	'rule.subnet.zoneUnknown':
		'{path}: 「{value}」は {region} のアベイラビリティーゾーンではありません。{zones} から選んでください。',
	'rule.sg.sshFromAnywhereOffer':
		'{path}: SSH がインターネット全体（0.0.0.0/0）に開いています。管理者のアドレスに限定してください。{suggestion} はこの PC のパブリックアドレス（/32）です。',
	'rule.network.overlapsNetwork':
		'{path}: 「{value}」は {other}（{otherPath}）と重なっています。アプライアンスが 2 つのネットワークを区別できません。拠点ごとに別の範囲にしてください。',
	'rule.network.overlapsTunnel':
		'{path}: 「{value}」はトンネルアドレス {tunnel}（{otherPath}）と重なっています。172.16.0.0/30 など別のトンネル範囲を選んでください。',
	'rule.sg.name':
		'{path}: 「{value}」はセキュリティグループ名に使えません。a–z、A–Z、0–9、空白、._-:/()#,@[]+=&;{}!$* の 1〜255 文字で、sg- で始めないでください。',
	'rule.tag.reserved':
		'{path}: 「{value}」は aws: で始まっています。aws: は AWS 自身のタグ用に予約されています。',
	'rule.tag.characters': '{path}: 「{value}」には制御文字が含まれています。AWS のタグには使えません。',
	// — AWS VPN の手順（single-aws-vpn: 仮想プライベートゲートウェイ、カスタマーゲートウェイ、VPN 接続）
	'kind.vpn-gateway': '仮想プライベートゲートウェイ',
	'kind.customer-gateway': 'カスタマーゲートウェイ',
	'kind.vpn-connection': 'VPN 接続',
	'flow.parent.route-table': 'ルートテーブル',
	'flow.parent.vpn-gateway': '仮想プライベートゲートウェイ',
	'flow.parent.customer-gateway': 'カスタマーゲートウェイ',
	'flow.replace.amazonAsn': 'Amazon 側 ASN {from} → {to}',
	'flow.replace.customerAsn': 'BGP ASN {from} → {to}',
	'flow.replace.publicIp': 'パブリック IP {from} → {to}',
	'flow.replace.routing': 'ルーティング {from} → {to}',
	'flow.replace.tunnelOption': 'トンネル {tunnel}: {option} {from} → {to}',
	'flow.replace.tunnelPsk': 'トンネル {tunnel}: 事前共有キーが {reference} の値と異なります',
	'flow.keep.propagationOff': 'ルートテーブル {routeTable} でルート伝達を有効にします',
	'flow.keep.vpnRoutesMissing': '追加する静的ルートが {count} 件あります',
	'flow.note.propagationEnabled': 'ルートテーブル {routeTable} でルート伝達を有効にしました',
	'flow.note.vgwRoute': 'ルートテーブル {routeTable} にルート {cidr} → {gateway} を設定しました',
	'flow.note.vpnRoutesAdded': '静的ルートを追加しました: {routes}',
	'flow.note.vpnTunnels': 'トンネルの外部アドレス（AWS 側）: {addresses}',
	'flow.note.vpnSlow':
		'VPN 接続が利用可能になるまで AWS は数分（多くは 5〜10 分）かかります。最大 {minutes} 分待ちます。途中で止まった場合は apply をもう一度実行すれば、待機から再開します。',
	'flow.wait.vpnConnection': 'VPN 接続を待機中: AWS の状態は「{state}」（経過 {minutes} 分）',
	'flow.note.customerGatewayShared':
		'{ip}（ASN {asn}）のカスタマーゲートウェイ {id} はこのスタックの外で作られ、AWS にすでにありました。そのまま使い、destroy では削除しません',
	'flow.error.vpnConnectionGone':
		'待機中に VPN 接続 {id} が「{state}」になりました（kakehashi の外で削除されましたか？）。apply をもう一度実行すると新しく作成します。',
	// --- モード別ウィザード（single-aws-vpn、マルチテナントのテナント一覧）と全フローの config（issue 7） ---
	'wizard.step.vpnGateway': '仮想プライベートゲートウェイ',
	'wizard.step.customerGateway': 'カスタマーゲートウェイ',
	'wizard.step.vpnConnection': 'VPN 接続',
	'wizard.step.tenants': 'テナント',
	'wizard.help.vpnGateway':
		'VPN の AWS 側の終端です。仮想プライベートゲートウェイを VPC にアタッチします。BGP ASN はプライベート ASN（64512〜65534 または 4200000000〜4294967294）にしてください。',
	'wizard.help.customerGateway':
		'AWS から見たお使いのルーターです。グローバル IP、BGP ASN、配下の LAN、そして kakehashi が設定を書くためのベンダーを指定します。',
	'wizard.help.vpnConnection':
		'2 つの AWS エンドポイントへの 2 本のトンネルを、BGP（推奨）またはスタティックルートで経路制御します。トンネルの内部 CIDR や事前共有鍵を空にすると AWS が決めます。',
	'wizard.help.tenants':
		'テナントごとに L2TPv3 over IPsec トンネルを 1 本作り、それぞれ専用の AMF コンテナにブリッジします。そのためテナント同士で同じアドレス設計を使えます。ISAKMP 名・鍵・L2TPv3 ID は並び順から決まります。',
	'wizard.question.amazonSideAsn': 'Amazon 側の BGP ASN',
	'wizard.question.customerGatewayIp': 'ルーターのグローバル IP アドレス（カスタマーゲートウェイ）',
	'wizard.question.customerAsn': 'ルーターの BGP ASN',
	'wizard.question.routerVendor': 'ルーターのベンダー',
	'wizard.question.routing': 'ルーティング',
	'wizard.question.tunnel1InsideCidr': 'トンネル 1 の内部 CIDR（空: AWS が決定）',
	'wizard.question.tunnel1Psk': 'トンネル 1 の事前共有鍵の参照（空: AWS が生成）',
	'wizard.question.tunnel2InsideCidr': 'トンネル 2 の内部 CIDR（空: AWS が決定）',
	'wizard.question.tunnel2Psk': 'トンネル 2 の事前共有鍵の参照（空: AWS が生成）',
	'wizard.question.linkLocalRoute': 'トンネルのリンクローカル範囲へのルート',
	'wizard.question.tenantName': 'テナント名',
	'wizard.question.tenantIp': 'テナントルーターのグローバル IP アドレス',
	'wizard.question.tenantLan': 'テナントの LAN（CIDR、カンマ区切り）',
	'wizard.question.tenantTunnelAddress': 'テナントルーターのトンネルアドレス',
	'wizard.question.tenantPsk': '事前共有鍵の参照（空: 生成して一度だけ表示）',
	'wizard.hint.insideCidr':
		'169.254.0.0/16 内の /30 で、169.254.0.0〜169.254.5.0/30 と 169.254.169.252/30 以外、もう一方のトンネルと別のもの。',
	'wizard.hint.tunnelPsk':
		'env:変数名 または file:パス で指定します（鍵そのものは書きません）。AWS が受け付けるのは英数字・.・_ の 8〜64 文字で、0 で始まらないものです。',
	'wizard.hint.linkLocalRoute':
		'ルーターのトンネルアドレスからの ping に応答が返るようにします（導入ガイド 5b）。空にするとこのルートは作りません。',
	'wizard.hint.tenantTunnelAddress':
		'プレフィックス付きで指定します（例 172.16.0.2/24）。コンテナの eth1 がもう一方のホストアドレスになります。テナント間で同じでも構いません。',
	'wizard.hint.tenantPsk':
		'env:変数名 または file:パス で指定します（鍵そのものは書きません）。テナントごとに別の鍵が必要です。',
	'wizard.vendor.awplus': 'awplus — アライドテレシス AlliedWare Plus（AR シリーズ）',
	'wizard.vendor.cisco-ios': 'cisco-ios — Cisco IOS / IOS XE（ISR）',
	'wizard.vendor.nec-ix': 'nec-ix — NEC UNIVERGE IX',
	'wizard.vendor.yamaha-rtx': 'yamaha-rtx — ヤマハ RTX / NVR',
	'wizard.vendor.juniper-srx': 'juniper-srx — Juniper SRX',
	'wizard.vendor.strongswan-frr': 'strongswan-frr — strongSwan + FRR の Linux',
	'wizard.routing.bgp': 'BGP（動的）: 両トンネルで経路を広告し、自動で切り替わります',
	'wizard.routing.static': 'スタティック: LAN のプレフィックスを VPN 接続のルートにします',
	'wizard.tenants.empty': 'テナントはまだありません。',
	'wizard.tenants.add': '+ テナントを追加',
	'wizard.tenants.done': '→ {count} テナントで次へ進む',
	'wizard.tenants.needOne': '次へ進むにはテナントを 1 つ以上追加してください。',
	'wizard.tenants.identity': 'ISAKMP {isakmpName} · {applianceTunnel} · L2TPv3 {local}/{remote}',
	'wizard.tenants.keys': 'enter: 編集 · a: 追加 · d: 削除 · esc: 戻る',
	'wizard.tenants.editing': 'テナント {position}',
	'wizard.tenants.removeConfirm':
		'テナント {name} を削除しますか？後ろのテナントは 1 つずつ繰り上がります（ID も追従します）。y: 削除 · n: 残す',
	'wizard.tenants.sharedPlan':
		'{names} はアドレス範囲が重なっています。マルチテナントモードでは問題ありません（各テナントは専用の AMF コンテナにブリッジされます）。',
	'wizard.tenants.manualConfig':
		'kakehashi がテナントルーターの設定を書けるのは awplus のみです（ISAKMP 名を使う L2TPv3 over IPsec）。{vendor} は `kakehashi config --for appliance` を見て手で設定してください。',
	'rule.peers.duplicateAddress':
		'{path}: ルーターのアドレス {value} は {other} がすでに使っています。アプライアンスはこのアドレスでトンネルを区別するため、ルーターごとに別のアドレスが必要です。',
	'rule.psk.unresolved':
		'{path}: {reference} から鍵を得られません（変数が未設定、またはファイルがないか空です）。先に設定するか、空欄にしてください。',
	'rule.tenant.nameSyntax':
		'{path}: 「{value}」はテナント名に使えません。英数字・.・_・- の 1〜64 文字で、英数字で始めてください。',
	'rule.tenant.nameTaken':
		'{path}: 名前「{value}」は {other} がすでに使っています。テナントごとに別の名前にしてください。',
	'cli.configVpnNotApplied':
		'config: {path} にはまだ VPN 接続が記録されていません。先に `kakehashi apply` を実行してください（トンネルのアドレスと鍵は AWS から取得します）。',
	'cli.configVpnMissing':
		'config: {path} に記録された VPN 接続 {id} は AWS にありません（削除された可能性があります）。`kakehashi apply` で作り直してください。',
	'cli.configVpnPending':
		'config: VPN 接続 {id} にはまだトンネル設定がありません（状態 {state}）。available になるまで待ってから config を再実行してください。',
	'cli.configFile': '# ==> {file} <==',
	'wizard.question.wanInterface': 'ルーターのインターネット側インターフェース（トンネルの送信元）',
	'wizard.hint.wanInterface':
		'ガイドの AR ルーターでは ppp0。Cisco なら GigabitEthernet0/0、Juniper なら ge-0/0/0.0、Linux なら eth0 など。',
	'rule.router.interfaceName':
		'{path}: 「{value}」はインターフェース名ではありません。英字で始まり、英数字・. / : _ - を含む 64 文字以内にしてください。',
	// — least-privilege IAM policy (kakehashi policy)
	'policy.flowRequired': '--flow FLOW を指定してください: {allowed} のいずれかです。',
	'policy.hint':
		'保存して（kakehashi policy --flow … --json > policy.json）管理ポリシーとして付与します: aws iam create-policy --policy-name {name} --policy-document file://policy.json の後、aws iam attach-user-policy --user-name kakehashi --policy-arn arn:aws:iam::ACCOUNT-ID:policy/{name}（README の「Least-privilege IAM policy」を参照）。',
	// — router configuration of the modes (journey: appliance VPN, multi-tenant, AWS VPN)
	'apply.configDeclined':
		'ルーター {router}: 変更しませんでした（変更を見送りました）。あとで apply するか、kakehashi config の出力を手動で投入してください。',
	'apply.configDiff': 'ルーター {router} の設定に次の行がありません（+ は追加される行）:',
	'apply.confirmPush': 'ルーター {router} にこれらの行を設定しますか?',
	'apply.configSaved': 'ルーター {router}: 設定をスタートアップコンフィグに保存しました（write memory）。',
	'apply.configNotSaved':
		'ルーター {router}: 設定は動作中ですが保存されていません — 再起動（ファームウェア更新、AWS のメンテナンス、アプライアンスのフェイルセーフ）でトンネルの設定が失われます。ルーターで `write memory` を実行するか、apply を --save-config 付きで再実行してください。',
	'apply.configSaveFailed': 'ルーター {router} の設定を保存できませんでした（write memory）: {error}',
	'apply.configMatches': 'ルーター {router}: 設定はすでに一致しています — 変更はありません。',
	'apply.configPushUnsupported':
		'ルーター {router}（{vendor}）: kakehashi が設定を投入できるのは awplus ルーターだけです。`kakehashi config --vendor {vendor} --answers FILE --for {router}` で設定を表示し、手動で投入してください。',
	'apply.vpnConnectionMissing':
		'ルーター {router}: 状態ファイルに VPN 接続が記録されていないため、投入するトンネル設定がまだありません。VPN 接続ができてから apply を再実行してください。',
	'apply.vpnNotAvailable':
		'VPN 接続 {id} が利用可能ではありません（状態 {state}）。トンネルを設定できません。AWS コンソールで確認してから apply を再実行してください。',
	// —— AMI インポート（image import コマンド、image-steps の削除） ——
	'kind.s3-object': 'S3 オブジェクト',
	'kind.snapshot': 'EBS スナップショット',
	'kind.image': 'マシンイメージ (AMI)',
	'kind.iam-role': 'IAM ロール',
	'image.phase.check': '{path} を確認しています',
	'image.vhdType.fixed': '固定',
	'image.vhdType.dynamic': '可変',
	'image.note.vhd': '{type}サイズの VHD、ディスクサイズ {size}（作成元「{creator}」）。',
	'image.phase.bucket': 'S3 バケット {bucket}',
	'image.note.bucketCreated': 'バケット {bucket} を作成しました。',
	'image.note.bucketReused': '既存のバケット {bucket} を使います。',
	'image.phase.role': 'IAM ロール {role}（VM Import のサービスロール）',
	'image.note.roleCreated':
		'ロール {role} を作成しました。vmie.amazonaws.com を信頼し、アップロード用バケットの読み取りだけを許可しています。',
	'image.note.roleReused': '既存のロール {role} を使います（vmie.amazonaws.com を信頼しています）。',
	'image.phase.upload': 'ディスクイメージを s3://{bucket}/{key} にアップロードしています',
	'image.phase.uploadResume':
		's3://{bucket}/{key} へのアップロードを再開します（{parts} パートはアップロード済み）',
	'image.note.fileChanged':
		'{key} として別のファイルがアップロード途中でした。そのアップロードは中止し、このファイルを最初からアップロードします。',
	'image.phase.import': 'ディスクイメージを EBS スナップショットに変換しています（ImportSnapshot）',
	'image.note.importTask': 'ImportTaskId={id}',
	'image.note.previousImportFailed':
		'前回のインポートタスク {id} はスナップショットを作らずに終わりました（{reason}）。新しいタスクを開始します。',
	'image.note.roleNotReady':
		'作成したロールがまだ VM Import に反映されていません（数秒かかります）。再試行します（{attempt} 回目）。',
	'image.note.snapshot': 'スナップショットを作成しました {id}',
	'image.phase.cleanup': 'S3 からディスクイメージを削除しています（s3://{bucket}/{key}）',
	'image.phase.register': 'AMI {name} を作成しています（RegisterImage）',
	'image.phase.reuse': 'イメージ {name}（{id}）は前回の実行で作成済みです。これを使います。',
	'image.note.available': 'AMI {id}（{name}）が利用可能になりました。',
	'image.progress.upload': '{percent}%（{loaded} / {total}）· {rate}/秒 · 残り {eta}',
	'image.progress.etaUnknown': '?',
	'image.progress.import': 'インポート {progress}% · {status}',
	'image.done':
		'AMI {imageId}（{name}）の準備ができました。スナップショット {snapshotId}、インポートタスク {importTaskId}、バケット {bucket}。',
	'image.reused': 'AMI {imageId}（{name}）は前回の実行で作成済みです。アップロードはしていません。',
	'image.instanceHint':
		'インスタンスの手順は、名前が「vaa」で始まる自分のイメージのうち最新のものを自動で選びます。このイメージを使うには回答ファイルに instance.ami: {imageId} を指定してください。',
	'image.vhd.empty':
		'{path} は空（0 バイト）で、VHD ではありません。ベンダー提供の .vhd ファイル（例: vaa-5.4.9-2.6.vhd）を指定してください。',
	'image.vhd.unreadable': '{path} を読めません（{code}）。パスと権限を確認してください。',
	'image.vhd.iso':
		'{path} は ISO 9660 イメージで、VHD ではありません。ISO はファームウェアのリリースファイルです。ファームウェアには `kakehashi upgrade --iso {path}` を使ってください。AMI にはベンダー提供の .vhd ファイルを指定してください。',
	'image.vhd.qcow2':
		'{path} は QCOW2 イメージで、VHD ではありません。ベンダー提供の .vhd ファイルを指定するか、`qemu-img convert -O vpc {path} disk.vhd` で変換してください。',
	'image.vhd.vhdx':
		'{path} は VHDX（Hyper-V）イメージで、VHD ではありません。ベンダー提供の .vhd ファイルを指定するか、`qemu-img convert -O vpc {path} disk.vhd` で変換してください。',
	'image.vhd.vmdk':
		'{path} は VMDK（VMware）イメージで、VHD ではありません。ベンダー提供の .vhd ファイルを指定するか、`qemu-img convert -O vpc {path} disk.vhd` で変換してください。',
	'image.vhd.vdi':
		'{path} は VirtualBox の VDI イメージで、VHD ではありません。ベンダー提供の .vhd ファイルを指定するか、`qemu-img convert -O vpc {path} disk.vhd` で変換してください。',
	'image.vhd.archive':
		'{path} は {format} アーカイブで、VHD ではありません。展開して中の .vhd ファイルを指定してください。',
	'image.vhd.differencing':
		'{path} は差分 VHD です。親ディスクへの変更分しか含まず、AWS はインポートできません。ベンダー提供の完全な VHD を指定してください。',
	'image.vhd.unsupportedType':
		'{path} の VHD フッターのディスク種別は {diskType} です。AWS がインポートできるのは固定（2）と可変（3）だけです。ベンダー提供の VHD を指定してください。',
	'image.vhd.badChecksum':
		'{path} の VHD フッターが壊れています（チェックサム {found}、正しくは {expected}）。ファイルが破損しています。ダウンロードし直してください。',
	'image.vhd.truncatedSize':
		'{path} は途中で切れているか余分なデータがあります。VHD フッターによればファイルは {expected} バイトのはずですが、{actual} バイトです。ダウンロードし直してください。',
	'image.vhd.truncated':
		'{path} は途中で切れています。可変 VHD として始まっていますが、末尾のフッターがありません（ダウンロードの中断？）。ダウンロードし直してください。',
	'image.vhd.headerMismatch':
		'{path} は壊れています。先頭にある VHD フッターの写しが末尾のフッターと一致しません。ダウンロードし直してください。',
	'image.vhd.noFooter':
		'{path} は VHD ではありません。末尾 512 バイトに「conectix」フッターがありません。ベンダー提供の .vhd ファイル（例: vaa-5.4.9-2.6.vhd）を指定してください。',
	'image.error.name':
		"--name: 「{name}」は AMI 名として使えません。英数字、空白、( ) [ ] . / - ' @ _ からなる 3〜128 文字にしてください（例: vaa-5.4.9）。",
	'image.error.bucketName.length': '--bucket: 「{bucket}」は 3〜63 文字にしてください。',
	'image.error.bucketName.characters':
		'--bucket: 「{bucket}」に使えるのは英小文字、数字、ドット、ハイフンだけです。',
	'image.error.bucketName.edges':
		'--bucket: 「{bucket}」は英小文字か数字で始まり、英小文字か数字で終わる必要があります。',
	'image.error.bucketName.adjacentDots': '--bucket: 「{bucket}」にドットを 2 つ続けることはできません。',
	'image.error.bucketName.ipAddress': '--bucket: 「{bucket}」を IP アドレスの形にすることはできません。',
	'image.error.bucketName.reservedPrefix':
		'--bucket: 「{bucket}」は S3 が予約している接頭辞（xn--、sthree-、amzn-s3-demo-）で始まっています。',
	'image.error.bucketName.reservedSuffix':
		'--bucket: 「{bucket}」は S3 が予約している接尾辞（-s3alias、--ol-s3、.mrap、--x-s3、--table-s3）で終わっています。',
	'image.error.bucketTaken':
		'S3 バケット名「{bucket}」は別の AWS アカウントが使っています（バケット名は全世界で一意です）。--bucket {suggestion} を指定してください（この名前なら使えます）。',
	'image.error.bucketTakenNoSuggestion':
		'S3 バケット名「{bucket}」は別の AWS アカウントが使っています（バケット名は全世界で一意です）。--bucket で別の名前を指定してください。',
	'image.error.bucketRegion':
		'S3 バケット「{bucket}」は {bucketRegion} にありますが、イメージは {region} にインポートします。ImportSnapshot は同じリージョンのバケットしか読めません。--bucket で {region} のバケット（または新しい名前）を指定してください。',
	'image.error.roleNotTrusted':
		'IAM ロール「{role}」は存在しますが vmie.amazonaws.com を信頼していないため、VM Import が使えません。信頼ポリシーに vmie.amazonaws.com（sts:AssumeRole、外部 ID vmimport）を追加するか、ロールを削除してから再実行してください。',
	'image.error.nameTaken':
		'「{name}」という名前のイメージ（{imageId}）が既にあり、kakehashi が作ったものではありません。instance.ami にそれを指定するか、--name で別の名前を指定してください。',
	'image.error.importFailed': 'インポートタスク {id} が失敗しました: {message}',
	'image.hint.disk':
		'AWS がディスクを読めませんでした。アプライアンス提供の VHD ではないか、壊れています。ベンダーの VHD をダウンロードし直して再実行してください。',
	'image.hint.role':
		'VM Import が vmimport ロールを使えませんでした。信頼ポリシー（vmie.amazonaws.com）と、バケットの読み取りを許可するポリシーを確認してから再実行してください。',
	'image.hint.s3':
		'VM Import がアップロードしたオブジェクトを読めませんでした。バケットがこのリージョンにあり、vmimport ロールが読めることを確認してから再実行してください。',
	'image.hint.other':
		'再実行すると新しいインポートタスクを開始します。同じように失敗する場合は、上のメッセージが AWS の示す原因です。',
	'image.error.imageFailed':
		'イメージ {id} が利用可能になりませんでした: {reason}。再実行すると登録し直します。',
	'image.error.stateRegion':
		'{path} にはリージョン {stateRegion} が記録されています（{region} ではありません）。--region {stateRegion} を指定するか、{region} 用に別の --state を指定してください。',
	'image.destroy.bucketKept': 'バケット {bucket} は他のオブジェクトがあるため残しました。',
	'image.destroy.bucketDeleted':
		'バケット {bucket} を削除しました（アップロード用に kakehashi が作成したもの）。',
	'image.destroy.policyKept':
		'ロール {role} は kakehashi より前からありました。kakehashi はこのロールにポリシー {policy}（アップロード用バケットの読み取りのみ）を追加しました。destroy はロールとこのポリシーを残します。',
	// — appliance upkeep: kakehashi upgrade / kakehashi backup (issue 9)
	'upgrade.isoRequired':
		'--iso FILE が必要です。インストールするリリースファイル（vaa-<バージョン>.iso）を指定してください。',
	'upgrade.isoMissing':
		'--iso: {file} が存在しないか、ファイルではありません。ダウンロードしたリリース ISO のパスを指定してください。',
	'upgrade.isoBad.vhd':
		'--iso: {file} は VHD ディスクイメージで、リリースファイルではありません。VHD は新しい AMI を作るためのもので、`kakehashi image import --vhd {file}` を使います。アップグレードには ISO（vaa-<バージョン>.iso）を指定してください。',
	'upgrade.isoBad.not-iso':
		'--iso: {file} は ISO 9660 イメージではありません（オフセット 0x8001 に CD001 がありません）。ダウンロードしたままのリリース ISO（vaa-<バージョン>.iso）を指定してください。ダウンロードが途中で切れた場合もこの確認で失敗します。',
	'upgrade.isoBad.name':
		'--iso: {file} のファイル名はアプライアンスのフラッシュに保存できません（英数字と . _ - で 1〜64 文字）。リリース名（vaa-<バージョン>.iso）のまま名前を変えてください。',
	'upgrade.needsRouter':
		'アップグレードするアプライアンスがありません。状態ファイルに記録がありません。--router NAME か --host H [--port P --user U --identity KEY] を指定してください。',
	'upgrade.unknownRouter':
		'--router: 状態ファイルに {router} という名前のルーターはありません（記録済み: {known}）。',
	'upgrade.notAwplus':
		'--router: {router} は {vendor} のルーターです。kakehashi がアップグレードできるのは AlliedWare Plus のアプライアンス（awplus）だけです。',
	'upgrade.connecting': '{router}（{host}）に接続しています…',
	'upgrade.current': '{router} は {version} で動作中です。{file} をインストールします。',
	'upgrade.sameVersion': '注意: {version} はすでに動作中のバージョンです。もう一度インストールします。',
	'upgrade.noSpace':
		'リリースには {need} 必要ですが、{router} のフラッシュの空きは {free} です。古いリリースファイルを削除（`dir` で確認して `delete FILE`）してから upgrade を再実行してください。',
	'upgrade.progress': '{label} {percent}% {done}/{total} {rate} 残り {eta}',
	'upgrade.copying': '{file} をコピー中',
	'upgrade.verifying': '検証中（読み戻し）',
	'upgrade.alreadyThere': '{file} は同じ SHA-256 でフラッシュにすでにあります。コピーし直しません。',
	'upgrade.copyFailed':
		'SFTP での {file} のコピーに失敗しました: {message}。何もインストールしていません。upgrade を再実行してください。',
	'upgrade.verifyFailed':
		'コピーした {file} がローカルのファイルと一致しません（サイズ {localSize} / {remoteSize}、SHA-256 {local}… / {remote}…）。何もインストールしていません。upgrade を再実行してコピーし直してください。',
	'upgrade.verified': '{file} をコピーし、検証しました（SHA-256 {digest}…）。',
	'upgrade.unsavedQuestion':
		'ランニングコンフィグにスタートアップコンフィグへ保存していない変更があり、再起動で失われます。今保存しますか（write memory）？',
	'upgrade.saved': 'ランニングコンフィグを保存しました（write memory）。',
	'upgrade.saveFailed': 'ランニングコンフィグの保存に失敗しました: {output}',
	'upgrade.unsavedKept': '保存しませんでした。最後の保存以降の変更は再起動で失われます。',
	'upgrade.confirm':
		'{router} に {file} をインストールして今すぐ再起動しますか？ 復帰するまで、経由するトンネルは止まります。',
	'upgrade.cancelled':
		'中止しました。{file} はフラッシュにあり検証済みですが、インストールはしていません。--yes を付けて upgrade を再実行するか、手動でインストールしてください（software-upgrade {file} のあと reboot）。',
	'upgrade.installFailed': 'software-upgrade {file} に失敗しました: {output}',
	'upgrade.installed': 'リリース {file} をインストールしました。再起動後に動作します。',
	'upgrade.rebooting': '{router} を再起動しています…',
	'upgrade.waiting': '{router} が再び SSH に応答するのを待っています… {seconds} 秒',
	'upgrade.notBack':
		'{router} が再起動後 {seconds} 秒以内に SSH に応答しませんでした（{message}）。EC2 コンソールでインスタンス（状態、システムログ）を確認してください。フェイルセーフで起動した場合はインストールガイド 8 章を参照してください。',
	'upgrade.versionMismatch':
		'{router} は {expected} ではなく {version} で起動しました。{file} のリリースは起動していません。アプライアンスで `show system` と起動設定を確認してください。',
	'upgrade.done': '{router} をアップグレードしました: {from} → {to}。',
	'backup.needsInstance':
		'バックアップするアプライアンスのインスタンスがありません。状態ファイルに記録がありません。先に apply を実行するか、状態ファイルにあるアプライアンスを --router NAME で指定してください。',
	'backup.unknownRouter':
		'--router: 状態ファイルに {router} という名前のアプライアンスはありません（記録済み: {known}）。',
	'backup.creating': 'インスタンス {instance} のイメージ {name} を作成しています…',
	'backup.waiting': 'イメージ {imageId}: {state}…',
	'backup.failed':
		'イメージ {imageId} は状態 {state} で終わりました{reason}。EC2 コンソール（AMI）で削除してから backup を再実行してください。',
	'backup.timeout':
		'イメージ {imageId} が {seconds} 秒以内に利用可能になりませんでした（状態 {state}）。状態ファイルには記録済みです。EC2 コンソール（AMI）で確認してください。',
	'backup.done': 'バックアップイメージ {imageId}（{name}）が利用可能になりました。',
	'backup.warning':
		'このイメージから起動したインスタンスには新しい MAC アドレスと新しい IP アドレスが割り当てられます。仮想リンクと年間ライセンスを登録し直してください。',
	// wizard "machine image" step and "my AMIs" (AMI import in the wizard)
	'wizard.step.image': 'マシンイメージ',
	'wizard.help.image':
		'任意・初回のみ：ベンダーの VHD からアプライアンスの AMI を作成します（インストールガイド 1 章）。インスタンスの手順でその AMI を起動します。',
	'wizard.image.ask': 'ベンダーの VHD からアプライアンスの AMI を今インポートしますか？',
	'wizard.image.has':
		'このアカウントには自分のイメージ {name}（{imageId}、{date}）が既にあります。インスタンスの手順でそれを使えます。',
	'wizard.image.none': '{region} にはこのアカウントの vaa* という名前のイメージがまだありません。',
	'wizard.image.looking': '自分のイメージを探しています…',
	'wizard.image.yes': 'はい：今インポートする',
	'wizard.image.no': 'いいえ：この手順を飛ばす',
	'wizard.image.vhd': 'VHD ファイル',
	'wizard.image.name': 'AMI 名',
	'wizard.image.bucket': 'アップロード用の S3 バケット',
	'wizard.image.checking': 'ファイルを確認しています…',
	'wizard.image.vhdOk': '{path}（VHD、{size}）',
	'wizard.image.required': 'ベンダーの VHD ファイルのパスを入力してください（例：vaa-5.4.9-2.6.vhd）。',
	'wizard.image.running':
		'ctrl+c でウィザードを終了できます。次のインポートはアップロードを中断した所から再開します。',
	'wizard.image.failed': 'r：再試行（中断した所から再開）· s：この手順を飛ばす · esc：戻る',
	'wizard.image.next': 'enter：次の手順へ（インスタンスの手順でこの AMI を選べます）',
	'wizard.question.ami': 'AMI（マイ AMI）',
	'wizard.ami.auto': '自動：名前が vaa で始まる自分の最新のイメージ（apply 時に決定）',
	'wizard.ami.none':
		'{region} にはこのアカウントのイメージがありません。空欄で自動、または AMI ID か名前を入力してください。',
	'wizard.ami.loading': '自分のイメージを読み込んでいます…',
	'wizard.ami.error':
		'自分のイメージを一覧できませんでした（{message}）。AMI ID か名前を入力するか、空欄にしてください。',
	'rule.instance.amiName':
		"{path}: 「{value}」は AMI ID（ami-0123456789abcdef0 など）でも AMI 名（英数字と ( ) [ ] 空白 . / - ' @ _ の 3〜128 文字）でもありません。",
	'flow.error.noImageNamed':
		'instance.ami: {region} にはこのアカウントの「{name}」という名前の利用可能なイメージがありません。先にインポートする（kakehashi image import）か、instance.ami に AMI ID か自分のイメージの正確な名前を指定してください。',
	// — the live panel's upgrade action (`u`, issue 9)
	'panel.hintKeys': '?:ヘルプ /:絞込 enter:開く esc:戻る r:取得 p:停止 s:ssh e:出力 u:更新 q:終了',
	'panel.help.upgrade': 'この AW+ アプライアンスをリリース ISO で更新（コピー・検証・インストール・再起動）',
	'panel.upgradeUnavailable': 'この画面からはアップグレードできません。',
	'panel.upgradeAwplusOnly':
		'{router} は {vendor} ルーターです。アップグレードは AW+ アプライアンス（AlliedWare Plus）専用です。',
	'panel.upgrade.title': '{router} のアップグレード',
	'panel.upgrade.pathIntro':
		'{router} にインストールするリリースファイル（ダウンロードした vaa-<version>.iso）。',
	'panel.upgrade.pathLabel': 'リリース ISO',
	'panel.upgrade.pathHint': 'enter: ファイルを確認 · esc: パネルに戻る（~ はホームディレクトリ）',
	'panel.upgrade.checking': 'ファイルを確認しています…',
	'panel.upgrade.bad.missing':
		'{file} は存在しないかファイルではありません。リリース ISO のパスを指定してください。',
	'panel.upgrade.bad.vhd':
		'{file} は VHD ディスクイメージで、リリースではありません。VHD は新しい AMI を作るものです（kakehashi image import）。リリース ISO（vaa-<version>.iso）を指定してください。',
	'panel.upgrade.bad.not-iso':
		'{file} は ISO 9660 イメージではありません（オフセット 0x8001 に CD001 がありません）。ダウンロードしたままのリリース ISO を指定してください。途中で切れたダウンロードもこの確認で不合格になります。',
	'panel.upgrade.bad.name':
		'{file} の名前はアプライアンスのフラッシュに保存できません（英数字と . _ - の 1〜64 文字）。リリース名のまま名前を変えてください。',
	'panel.upgrade.reading': '{router}（{host}）に接続し、バージョンと設定を読んでいます…',
	'panel.upgrade.confirmTitle': 'このリリースをインストールしますか?',
	'panel.upgrade.confirmRouter': 'ルーター: {router}（{host}）',
	'panel.upgrade.confirmVersion': '現在:     {version}',
	'panel.upgrade.confirmFile': 'ファイル: {file}（{size}）',
	'panel.upgrade.confirmUnsaved':
		'running-config に保存されていない変更があります。先に保存します（write memory）。保存しないと再起動で失われます。',
	'panel.upgrade.confirmReboot':
		'インストール後に {router} は再起動します。戻るまでトンネルは止まります。その間ポーリングは停止します。',
	'panel.upgrade.confirmQuestion': '今すぐアップグレードして再起動しますか? (y/N)',
	'panel.upgrade.runningTitle': '{router} を {file} にアップグレード中',
	'panel.upgrade.step.copy': 'コピー',
	'panel.upgrade.step.verify': '検証（読み戻して SHA-256）',
	'panel.upgrade.step.install': 'インストール（software-upgrade）',
	'panel.upgrade.step.reboot': '再起動',
	'panel.upgrade.step.wait': 'SSH の復帰待ち',
	'panel.upgrade.step.check': 'バージョンの確認',
	'panel.upgrade.runningHint': 'アップグレードは最後まで実行されます。終わるとパネルに戻ります。',
	'panel.upgrade.alreadyThere':
		'同じファイルがすでにフラッシュにあります（SHA-256 が同じ）。再コピーしません。',
	'panel.upgrade.back': 'esc / enter: パネルに戻る',
};
