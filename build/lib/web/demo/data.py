"""Demo data for Huế: agencies, categories, accounts and report templates (Vietnamese)."""

from __future__ import annotations

from models.enums import AgencyKind, AgencyLevel, Role

G, B = AgencyKind.GOVERNMENT, AgencyKind.BUSINESS
PROVINCE, COMMUNE = AgencyLevel.PROVINCE, AgencyLevel.COMMUNE

# Huế as it is organised since 1 July 2025: two levels of local government. The city's
# departments (as merged in 2025) and police, then wards (phường) and communes (xã) reporting
# directly to the city — no district, town or county in between — and the utility companies.
# (code, name, kind, level, parent code)
AGENCIES: list[tuple[str, str, AgencyKind, AgencyLevel, str | None]] = [
    ("SXD", "Sở Xây dựng", G, PROVINCE, None),  # with transport since 2025
    ("SNNMT", "Sở Nông nghiệp và Môi trường", G, PROVINCE, None),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch", G, PROVINCE, None),
    ("SNV", "Sở Nội vụ", G, PROVINCE, None),
    ("SYT", "Sở Y tế", G, PROVINCE, None),
    ("SCT", "Sở Công Thương", G, PROVINCE, None),
    ("SKHCN", "Sở Khoa học và Công nghệ", G, PROVINCE, None),
    ("CATP", "Công an thành phố Huế", G, PROVINCE, None),
    ("P-PHUXUAN", "UBND phường Phú Xuân", G, COMMUNE, None),
    ("P-THUANHOA", "UBND phường Thuận Hóa", G, COMMUNE, None),
    ("P-VYDA", "UBND phường Vỹ Dạ", G, COMMUNE, None),
    ("P-ANCUU", "UBND phường An Cựu", G, COMMUNE, None),
    ("P-KIMLONG", "UBND phường Kim Long", G, COMMUNE, None),
    ("P-THUYXUAN", "UBND phường Thủy Xuân", G, COMMUNE, None),
    ("P-HUONGTHUY", "UBND phường Hương Thủy", G, COMMUNE, None),
    ("P-PHUBAI", "UBND phường Phú Bài", G, COMMUNE, None),
    ("P-HUONGTRA", "UBND phường Hương Trà", G, COMMUNE, None),
    ("P-THUANAN", "UBND phường Thuận An", G, COMMUNE, None),
    ("X-PHUVANG", "UBND xã Phú Vang", G, COMMUNE, None),
    ("X-QUANGDIEN", "UBND xã Quảng Điền", G, COMMUNE, None),
    ("X-PHULOC", "UBND xã Phú Lộc", G, COMMUNE, None),
    ("HUEWACO", "Công ty Cổ phần Cấp nước Huế", B, PROVINCE, None),
    ("PC-HUE", "Công ty Điện lực Huế", B, PROVINCE, None),
    ("HEPCO", "Công ty Cổ phần Môi trường và Công trình đô thị Huế", B, PROVINCE, None),
    ("VNPT-HUE", "VNPT Huế", B, PROVINCE, None),
]

# (phone, password, display name, role, agency code): listed in the README.
DEMO_ACCOUNTS: list[tuple[str, str, str, Role, str | None]] = [
    ("0900000001", "demo-admin-2026", "Quản trị hệ thống", Role.ADMIN, None),
    ("0900000002", "demo-ioc-2026", "Trần Thị Hoa (IOC)", Role.IOC_OPERATOR, None),
    ("0900000003", "demo-agency-2026", "Lê Văn Minh (HEPCO)", Role.AGENCY_STAFF, "HEPCO"),
    ("0900000004", "demo-agency-2026", "Phạm Thị Lan (Sở Xây dựng)", Role.AGENCY_STAFF, "SXD"),
    ("0900000005", "demo-agency-2026", "Hồ Văn Nam (Thuận Hóa)", Role.AGENCY_STAFF, "P-THUANHOA"),
    ("0900000010", "demo-citizen-2026", "Nguyễn Văn An", Role.CITIZEN, None),
]

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi",
            "Đỗ", "Hồ", "Ngô", "Dương", "Tôn Nữ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hương", "Khoa", "Linh", "Long",
         "Mai", "Nam", "Nhung", "Phúc", "Quỳnh", "Sơn", "Tâm", "Thảo", "Trung", "Tuấn", "Vy"]

STREETS = ["Lê Lợi", "Hùng Vương", "Trần Hưng Đạo", "Nguyễn Huệ", "Điện Biên Phủ", "Lý Thường Kiệt",
           "Bà Triệu", "Hà Nội", "Đống Đa", "Phan Đình Phùng", "Nguyễn Trãi", "Đinh Tiên Hoàng",
           "Chi Lăng", "Kim Long", "Nguyễn Sinh Cung", "Trường Chinh", "Tố Hữu", "Võ Văn Kiệt"]
WARDS = ["Phú Xuân", "Thuận Hóa", "Vỹ Dạ", "An Cựu", "Kim Long", "Thủy Xuân", "Hương Thủy",
         "Phú Bài", "Hương Trà", "Thuận An"]

# Per category: which agencies usually handle it, and (title, description) templates.
TEMPLATES: dict[str, tuple[list[str], list[tuple[str, str]]]] = {
    "TTXD": (["SXD", "P-THUANHOA", "P-PHUXUAN", "P-VYDA"], [
        ("Xây dựng lấn chiếm vỉa hè", "Nhà số {n} đường {street} đang xây dựng lấn chiếm vỉa hè, "
         "vật liệu đổ tràn ra lòng đường gây nguy hiểm cho người đi bộ."),
        ("Công trình xây dựng không phép", "Tại kiệt {n} đường {street} có công trình đang xây "
         "dựng thêm tầng, không thấy treo biển cấp phép xây dựng."),
        ("Công trình gây nứt nhà liền kề", "Công trình đang thi công ở số {n} đường {street} làm "
         "nứt tường nhà bên cạnh, đề nghị cơ quan chức năng kiểm tra."),
    ]),
    "VSMT": (["HEPCO", "SNNMT", "P-ANCUU", "P-KIMLONG"], [
        ("Rác thải tập kết trái phép", "Rác thải sinh hoạt tập kết trái phép ở đầu kiệt {n} "
         "đường {street}, bốc mùi hôi thối nhiều ngày chưa được thu gom."),
        ("Nước thải chảy tràn ra đường", "Nước thải từ cơ sở kinh doanh ở số {n} đường {street} "
         "chảy tràn ra mặt đường, gây ô nhiễm và mất mỹ quan đô thị."),
        ("Đốt rác gây khói bụi", "Có người thường xuyên đốt rác vào buổi tối gần số {n} đường "
         "{street}, khói bụi ảnh hưởng đến các hộ dân xung quanh."),
    ]),
    "HTGT": (["SXD", "P-THUANHOA", "P-HUONGTHUY"], [
        ("Ổ gà trên mặt đường", "Mặt đường {street} đoạn trước số nhà {n} xuất hiện nhiều ổ gà "
         "lớn, rất nguy hiểm cho người đi xe máy vào ban đêm."),
        ("Biển báo giao thông bị đổ", "Biển báo giao thông ở ngã tư {street} bị đổ sau mưa bão, "
         "chưa được dựng lại."),
        ("Đèn tín hiệu giao thông hỏng", "Đèn tín hiệu giao thông tại nút giao đường {street} "
         "không hoạt động từ sáng nay, giao thông ùn tắc."),
    ]),
    "HTDT": (["PC-HUE", "HEPCO", "HUEWACO", "P-PHUXUAN"], [
        ("Đèn đường không sáng", "Cả dãy đèn chiếu sáng trên đường {street} đoạn từ số {n} "
         "không sáng nhiều đêm liền, người dân đi lại khó khăn."),
        ("Nắp cống bị vỡ", "Nắp cống trước số nhà {n} đường {street} bị vỡ, có thể gây tai nạn "
         "cho người đi đường."),
        ("Cây xanh có nguy cơ ngã đổ", "Cây xanh lớn trước số {n} đường {street} bị nghiêng, "
         "rễ bật lên, có nguy cơ ngã đổ khi có gió lớn."),
    ]),
    "ANTT": (["CATP", "P-KIMLONG", "P-VYDA"], [
        ("Tụ tập gây mất trật tự", "Nhóm thanh niên thường tụ tập, nẹt pô xe máy vào ban đêm "
         "ở khu vực đường {street}, gây mất trật tự."),
        ("Hát karaoke gây ồn ào", "Hộ gia đình ở số {n} đường {street} hát karaoke quá 22 giờ, "
         "ảnh hưởng nghỉ ngơi của người dân."),
    ]),
    "DLDV": (["SVHTTDL", "P-PHUXUAN"], [
        ("Chèo kéo khách du lịch", "Tình trạng chèo kéo, đeo bám khách du lịch ở khu vực "
         "đường {street} gần Đại Nội vẫn còn diễn ra."),
        ("Nhà hàng bán giá quá cao", "Nhà hàng ở số {n} đường {street} tính giá quá cao so với "
         "niêm yết, khách du lịch phản ánh không hài lòng."),
    ]),
    "TTHC": (["SNV", "P-THUANHOA", "X-PHUVANG"], [
        ("Giải quyết hồ sơ chậm trễ", "Tôi nộp hồ sơ tại bộ phận một cửa đã quá hạn hẹn trả "
         "nhiều ngày nhưng chưa nhận được kết quả, cũng không được thông báo lý do."),
        ("Thái độ cán bộ chưa đúng mực", "Cán bộ tiếp dân có thái độ thiếu niềm nở, hướng dẫn "
         "không rõ ràng khiến người dân phải đi lại nhiều lần."),
    ]),
    "DVCI": (["HUEWACO", "PC-HUE", "VNPT-HUE"], [
        ("Mất nước sinh hoạt", "Khu vực đường {street} bị mất nước sinh hoạt hai ngày nay "
         "mà không có thông báo trước."),
        ("Vỡ đường ống cấp nước", "Đường ống cấp nước trước số {n} đường {street} bị vỡ, nước "
         "chảy lênh láng ra đường."),
        ("Cúp điện không báo trước", "Khu dân cư đường {street} bị cúp điện nhiều lần trong "
         "tuần mà không có lịch báo trước."),
    ]),
}

RESULTS = [
    "Đơn vị đã cử cán bộ kiểm tra hiện trường và xử lý dứt điểm; đã chụp ảnh hiện trạng sau "
    "khi khắc phục.",
    "Đã phối hợp với UBND phường lập biên bản, yêu cầu tổ chức, cá nhân vi phạm khắc phục và "
    "cam kết không tái phạm.",
    "Đã khắc phục sự cố và đưa vào hoạt động bình thường; đơn vị sẽ tăng cường kiểm tra định kỳ.",
    "Đã thu gom, vận chuyển và vệ sinh khu vực; bố trí thêm thùng rác công cộng.",
]
