"""Word lists for the generated distributor (an Iraqi electronics and home-goods wholesaler).

Kept as plain tuples so the generator stays deterministic: only the seeded RNG picks from them.
"""

from __future__ import annotations

# (category, product kinds, brands, min rate IQD, max rate IQD, units)
CATEGORIES: tuple[tuple[str, tuple[str, ...], tuple[str, ...], int, int, tuple[str, ...]], ...] = (
    ("Televisions", ("LED TV 32in", "Smart TV 43in", "4K Smart TV 55in", "QLED TV 65in"),
     ("Samsung", "LG", "TCL", "Hisense", "Sony"), 150_000, 2_500_000, ("pcs",)),
    ("Air Conditioners", ("Split AC 1 Ton", "Split AC 1.5 Ton", "Split AC 2 Ton",
                          "Inverter AC 1.5 Ton", "Window AC 2 Ton"),
     ("Gree", "LG", "Samsung", "Midea", "Haier"), 350_000, 1_500_000, ("pcs", "set")),
    ("Refrigerators", ("Fridge 12ft", "Fridge 16ft", "Side-by-Side Fridge", "Deep Freezer 300L"),
     ("LG", "Samsung", "Beko", "Hitachi", "Haier"), 300_000, 2_200_000, ("pcs",)),
    ("Washing Machines", ("Front Loader 7kg", "Front Loader 9kg", "Top Loader 12kg",
                          "Twin Tub 10kg"),
     ("LG", "Samsung", "Beko", "Ariston"), 180_000, 1_100_000, ("pcs",)),
    ("Kitchen Appliances", ("Blender", "Microwave 25L", "Air Fryer 5L", "Electric Kettle",
                            "Toaster", "Food Processor", "Gas Cooker 5 Burner"),
     ("Kenwood", "Moulinex", "Philips", "Tefal", "Braun", "Black+Decker"), 15_000, 650_000,
     ("pcs", "box")),
    ("Small Appliances", ("Steam Iron", "Vacuum Cleaner", "Stand Fan", "Oil Heater",
                          "Hair Dryer", "Water Dispenser"),
     ("Philips", "Tefal", "Panasonic", "Kenwood", "Black+Decker"), 10_000, 300_000,
     ("pcs", "box")),
    ("Power & Generators", ("UPS 1000VA", "Inverter 3kW", "Voltage Stabilizer 5kVA",
                            "Home Generator 6kVA", "Solar Panel 450W", "Battery 200Ah"),
     ("APC", "Growatt", "Kipor", "Huawei", "Jinko"), 60_000, 3_000_000, ("pcs", "set")),
    ("Lighting", ("LED Bulb 12W", "LED Panel 60x60", "Rechargeable Lamp", "Flood Light 100W"),
     ("Philips", "Osram", "Opple"), 1_500, 90_000, ("pcs", "box", "carton")),
    ("Mobile & Accessories", ("Smartphone 128GB", "Power Bank 20000mAh", "Fast Charger 25W",
                              "Bluetooth Earbuds", "USB-C Cable"),
     ("Samsung", "Xiaomi", "Anker", "Honor", "Oppo"), 5_000, 1_200_000, ("pcs", "box")),
    ("Water Heaters & Coolers", ("Water Heater 50L", "Water Heater 80L", "Air Cooler 60L",
                                 "Water Cooler"),
     ("Ariston", "Haier", "Super General"), 90_000, 650_000, ("pcs",)),
)

SERIES = ("AX", "BK", "CR", "DN", "EV", "FX", "GT", "HM", "KS", "LX", "MP", "NR", "PR", "QZ",
          "RT", "SV", "TX", "VK", "WZ", "ZR")
COLOURS = ("Black", "White", "Silver", "Grey", "Gold", "Blue", "Red", "")

# (name, city, is_primary); Baghdad is the head office warehouse
WAREHOUSES: tuple[tuple[str, str, bool], ...] = (
    ("Baghdad Main Warehouse", "Baghdad", True),
    ("Basra Warehouse", "Basra", False),
    ("Erbil Warehouse", "Erbil", False),
)

CITIES = ("Baghdad", "Basra", "Erbil", "Mosul", "Najaf", "Karbala", "Sulaymaniyah", "Kirkuk",
          "Hillah", "Nasiriyah", "Ramadi", "Duhok", "Kut", "Amarah", "Samawah", "Baqubah")
GOVERNORATES = {"Baghdad": "Baghdad", "Basra": "Basra", "Erbil": "Erbil", "Mosul": "Nineveh",
                "Najaf": "Najaf", "Karbala": "Karbala", "Sulaymaniyah": "Sulaymaniyah",
                "Kirkuk": "Kirkuk", "Hillah": "Babil", "Nasiriyah": "Dhi Qar", "Ramadi": "Anbar",
                "Duhok": "Duhok", "Kut": "Wasit", "Amarah": "Maysan", "Samawah": "Muthanna",
                "Baqubah": "Diyala"}
DISTRICTS = ("Karrada", "Mansour", "Adhamiya", "Zayouna", "Jadriya", "Ashar", "Ankawa", "Kufa",
             "Palestine Street", "Al-Jazaer Street", "Old Souq", "Industrial Area")

FIRST_NAMES = ("Ahmed", "Mohammed", "Ali", "Hussein", "Hassan", "Omar", "Mustafa", "Karrar",
               "Zainab", "Fatima", "Noor", "Maryam", "Sara", "Haider", "Yousif", "Abbas",
               "Zaid", "Layla", "Rana", "Saif", "Muntadhar", "Aya", "Hiba", "Bashar")
LAST_NAMES = ("Al-Jubouri", "Al-Tamimi", "Al-Saadi", "Al-Obaidi", "Al-Rubaie", "Al-Dulaimi",
              "Kareem", "Jassim", "Hamid", "Al-Kubaisi", "Al-Shammari", "Mahmoud", "Salih",
              "Al-Hakim", "Al-Kadhimi", "Aziz", "Barzani", "Rasheed")
SHOP_WORDS = ("Al-Rafidain", "Dijla", "Al-Furat", "Babylon", "Sumer", "Al-Noor", "Al-Amal",
              "Al-Zawraa", "Ishtar", "Al-Mansour", "Al-Bayan", "Akkad", "Nineveh", "Al-Salam",
              "Al-Hadba", "Zagros", "Al-Sadeer", "Al-Waha")
SHOP_KINDS = ("Electronics", "Home Appliances", "Trading Co.", "Electrical Store",
              "Home Center", "Mobile Store", "Group", "Showroom", "Supplies")
VENDOR_NAMES = ("Guangzhou", "Shenzhen", "Dubai", "Istanbul", "Amman", "Tehran", "Ningbo",
                "Jebel Ali", "Izmir", "Foshan")
VENDOR_KINDS = ("Trading LLC", "Electronics FZE", "Import Export Co.", "Appliances Ltd.",
                "Industrial Co.", "Distribution FZCO")
SALESPEOPLE = ("Ali Kareem", "Noor Hassan", "Zaid Salih", "Mustafa Jassim", "Rana Aziz")
PAYMENT_TERMS = ((0, "Due on Receipt"), (15, "Net 15"), (30, "Net 30"), (45, "Net 45"),
                 (60, "Net 60"))
